// The preprocessing a CLI-trained model expects, saved next to the model as
// `<model>.preprocess.json`: the `.blasprop` format (lib/persistence/format.ts) has no slot for
// user metadata, so the scaler's parameters, the feature column order and the class names live in
// this small JSON file, which `evaluate` and `predict` read back. A model without one (saved from
// the library API) is used on raw features.
import { readFile } from 'node:fs/promises';

import { Standardizer, type StandardizerState } from '../data/standardizer';
import type { Matrix } from '../data/matrix';
import { FormatError } from '../errors';
import type { Network } from '../network';
import type { FloatArray } from '../dtype';

/** Preprocessing of a model trained on a CSV file. */
export interface CsvPreprocessing {
  format: 'blasprop-preprocess';
  version: 1;
  input: 'csv';
  /** The label column of the training file (the default label column for evaluate). */
  labelColumn: string;
  /** The feature columns, in the order of the network's inputs. */
  featureNames: string[];
  /** Class names; class index k is output k of the network. */
  classes: string[];
  /** Per-column mean and standard deviation, fitted on the training rows. */
  standardizer: StandardizerState;
}

/** Preprocessing of a model trained on IDX images. */
export interface IdxPreprocessing {
  format: 'blasprop-preprocess';
  version: 1;
  input: 'idx';
  /** Pixels are divided by this (255: unsigned bytes to [0, 1]). */
  pixelScale: number;
  /** Pixels per image (features of the network), e.g. 784 for 28×28. */
  pixels: number;
  /** Class names ("0", "1", …); class index k is output k of the network. */
  classes: string[];
}

/** What `<model>.preprocess.json` holds. */
export type Preprocessing = CsvPreprocessing | IdxPreprocessing;

/** The preprocessing file that goes with a model file. */
export function preprocessingPath(modelPath: string): string {
  return `${modelPath}.preprocess.json`;
}

/** The file's text. */
export function serializePreprocessing(p: Preprocessing): string {
  return `${JSON.stringify(p, null, 2)}\n`;
}

/** Applies the CSV standardization (fitted at training time) to new rows. */
export function standardize<A extends FloatArray>(p: CsvPreprocessing, x: Matrix<A>): Matrix<A> {
  return Standardizer.fromJSON(p.standardizer).transform(x);
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}

/**
 * Reads the preprocessing file of `modelPath`, or null when there is none, and checks that it
 * fits the network (feature and class counts).
 *
 * @throws FormatError naming the file when it is not valid JSON, not a preprocessing file, or does
 *   not match the network.
 */
export async function readPreprocessing(modelPath: string, net: Network): Promise<Preprocessing | null> {
  const file = preprocessingPath(modelPath);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const bad = (why: string): FormatError => new FormatError(`${file}: not a valid blasprop preprocessing file: ${why}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw bad(e instanceof Error ? e.message : String(e));
  }
  if (typeof value !== 'object' || value === null) throw bad('expected a JSON object');
  const p = value as Record<string, unknown>;
  if (p.format !== 'blasprop-preprocess') throw bad(`"format" is ${JSON.stringify(p.format)}, expected "blasprop-preprocess"`);
  if (p.version !== 1) throw bad(`"version" ${JSON.stringify(p.version)} is not supported (this blasprop reads version 1)`);
  if (!isStringArray(p.classes)) throw bad('"classes" must be an array of strings');
  if (p.classes.length !== net.outputs) throw bad(`${p.classes.length} classes but the model has ${net.outputs} outputs`);
  if (p.input === 'csv') {
    if (typeof p.labelColumn !== 'string') throw bad('"labelColumn" must be a string');
    if (!isStringArray(p.featureNames)) throw bad('"featureNames" must be an array of strings');
    if (p.featureNames.length !== net.inputs) throw bad(`${p.featureNames.length} feature columns but the model has ${net.inputs} inputs`);
    let scaler: Standardizer;
    try {
      scaler = Standardizer.fromJSON(p.standardizer as StandardizerState);
    } catch (e) {
      throw bad(e instanceof Error ? e.message : String(e));
    }
    if (scaler.mean!.length !== net.inputs) throw bad(`the standardizer has ${scaler.mean!.length} columns but the model has ${net.inputs} inputs`);
    return value as CsvPreprocessing;
  }
  if (p.input === 'idx') {
    if (typeof p.pixelScale !== 'number' || !(p.pixelScale > 0)) throw bad('"pixelScale" must be a number > 0');
    if (p.pixels !== net.inputs) throw bad(`"pixels" is ${JSON.stringify(p.pixels)} but the model has ${net.inputs} inputs`);
    return value as IdxPreprocessing;
  }
  throw bad(`"input" is ${JSON.stringify(p.input)}, expected "csv" or "idx"`);
}
