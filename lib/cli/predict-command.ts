// `blasprop predict`: run a saved model on new rows; CSV (or IDX images) in, CSV out.
import * as path from 'node:path';

import type { BackendChoice } from '../architecture';
import { Network } from '../network';
import { CliError, EXIT_USAGE } from './cli-error';
import { integer } from './format';
import { loadFeaturesForModel } from './model-data';
import { predictionsToCsv } from './prediction-csv';
import { readPreprocessing } from './preprocessing';
import { StagedOutputs, checkWritableTarget } from './staged-outputs';
import { outputMode } from './progress';

/** The options of `blasprop predict`, as commander parses them. */
export interface PredictCommandOptions {
  model: string;
  data: string;
  labels?: string;
  labelColumn?: string;
  out?: string;
  backend: BackendChoice;
  quiet?: boolean;
  json?: boolean;
}

/**
 * Runs `blasprop predict`: writes one CSV row per input row — for classifiers the predicted class
 * and one probability column per class, otherwise the outputs — to `--out` or to stdout.
 */
export async function predictCommand(o: PredictCommandOptions): Promise<void> {
  if (o.out !== undefined) {
    if ([o.model, o.data].some((p) => path.resolve(p) === path.resolve(o.out!))) throw new CliError(`--out '${o.out}' is also an input file; choose another output name`, EXIT_USAGE);
    await checkWritableTarget(o.out, '--out');
  }
  const net = await Network.load(o.model, { backend: o.backend });
  const preprocessing = await readPreprocessing(o.model, net);
  const x = await loadFeaturesForModel(o, net, preprocessing, o.model);
  const outputs = net.predict(x);
  const classifier = net.architecture.loss === 'cross-entropy';
  const classes = classifier ? (preprocessing?.classes ?? Array.from({ length: net.outputs }, (_, k) => String(k))) : null;
  const csv = predictionsToCsv(outputs, classes);
  const rows = outputs.shape[0];
  if (o.out === undefined) {
    process.stdout.write(csv);
    return;
  }
  const staged = new StagedOutputs();
  try {
    await staged.stageText(o.out, csv);
    await staged.commit();
  } catch (e) {
    await staged.discard();
    throw e;
  }
  if (outputMode(o) === 'json') process.stdout.write(`${JSON.stringify({ event: 'predictions', rows, out: o.out })}\n`);
  else process.stdout.write(`wrote ${integer(rows)} predictions to ${o.out}\n`);
}
