// `blasprop evaluate`: loss and accuracy of a saved model on labelled data, preprocessed as at
// training time.
import type { BackendChoice } from '../architecture';
import { Network } from '../network';
import { CliError } from './cli-error';
import { integer, metric, percent } from './format';
import { loadLabeledForModel } from './model-data';
import { readPreprocessing } from './preprocessing';
import { outputMode } from './progress';

/** The options of `blasprop evaluate`, as commander parses them. */
export interface EvaluateCommandOptions {
  model: string;
  data: string;
  labels?: string;
  labelColumn?: string;
  backend: BackendChoice;
  quiet?: boolean;
  json?: boolean;
}

/** Runs `blasprop evaluate`: prints the loss and accuracy (one line, or one JSON line with --json). */
export async function evaluateCommand(o: EvaluateCommandOptions): Promise<void> {
  const net = await Network.load(o.model, { backend: o.backend });
  if (net.architecture.loss !== 'cross-entropy') {
    throw new CliError(`'${o.model}' is not a classifier (loss '${net.architecture.loss}'); evaluate scores softmax + cross-entropy models`);
  }
  const preprocessing = await readPreprocessing(o.model, net);
  const set = await loadLabeledForModel(o, net, preprocessing, o.model);
  const rows = set.x.shape[0];
  const evaluation = net.evaluate(set.x, set.labels);
  const accuracy = evaluation.accuracy ?? 0;
  if (outputMode(o) === 'json') {
    process.stdout.write(`${JSON.stringify({ event: 'evaluation', data: o.data, rows, loss: evaluation.loss, accuracy, correct: Math.round(accuracy * rows) })}\n`);
    return;
  }
  process.stdout.write(`${o.data}: ${integer(rows)} rows, accuracy ${percent(accuracy)} (${integer(Math.round(accuracy * rows))} correct), loss ${metric(evaluation.loss)}\n`);
}
