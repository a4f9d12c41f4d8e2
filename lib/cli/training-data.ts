// Loading and preparing the data of `blasprop train`: a CSV file (features standardized with
// statistics of the training rows only, class labels mapped to indices) or IDX images with an IDX
// label file (pixels scaled to [0, 1]); optionally a seeded random validation split.
import { loadCsv } from '../data/csv';
import { loadIdxImages } from '../data/idx';
import type { Matrix } from '../data/matrix';
import { Standardizer } from '../data/standardizer';
import { trainTestSplit } from '../data/train-test-split';
import type { DType } from '../architecture';
import { ConfigError } from '../errors';
import { CliError, EXIT_USAGE } from './cli-error';
import { detectDataFormat } from './data-format';
import type { Preprocessing } from './preprocessing';

/** Features and class indices. */
export interface LabeledSet {
  x: Matrix;
  labels: Int32Array;
}

/** What `train` reads: which files, which label column, how much to hold out. */
export interface TrainingDataOptions {
  data: string;
  labels?: string;
  labelColumn?: string;
  dtype: DType;
  /** Fraction of the rows held out for validation (a seeded random sample); 0 for none. */
  validationSplit: number;
  /** Seed of the validation split. */
  seed: number;
}

/** The prepared data and the preprocessing to save with the model. */
export interface TrainingData {
  train: LabeledSet;
  validation: LabeledSet | null;
  preprocessing: Preprocessing;
  /** Rows in the file(s), before the split. */
  rows: number;
}

/** The default label column of CSV files. */
export const DEFAULT_LABEL_COLUMN = 'label';

function split(x: Matrix, labels: Int32Array, fraction: number, seed: number): { train: LabeledSet; validation: LabeledSet | null } {
  if (fraction === 0) return { train: { x, labels }, validation: null };
  const rows = x.shape[0];
  const held = Math.round(fraction * rows);
  if (held < 1 || held > rows - 1) {
    throw new CliError(`--validation-split ${fraction} of ${rows} rows gives ${held} validation rows; it must leave at least one row on each side`, EXIT_USAGE);
  }
  const parts = trainTestSplit(x, labels, { testSize: held, seed });
  return { train: { x: parts.xTrain, labels: parts.yTrain }, validation: { x: parts.xTest, labels: parts.yTest } };
}

function toDType(x: Matrix, dtype: DType): Matrix {
  if ((dtype === 'float64') === x.data instanceof Float64Array) return x;
  return { data: dtype === 'float64' ? Float64Array.from(x.data) : Float32Array.from(x.data), shape: x.shape };
}

/**
 * Loads the training data named by the options.
 *
 * @throws CliError for inconsistent options (labels file with CSV, no labels file with IDX, too
 *   few classes or rows); FormatError / ShapeError from the loaders, naming file and position.
 */
export async function loadTrainingData(options: TrainingDataOptions): Promise<TrainingData> {
  const format = await detectDataFormat(options.data);
  if (format === 'csv') {
    if (options.labels !== undefined) {
      throw new CliError(`--labels is for IDX image files, but '${options.data}' is a CSV file; name its label column with --label-column`, EXIT_USAGE);
    }
    const labelColumn = options.labelColumn ?? DEFAULT_LABEL_COLUMN;
    const table = await loadCsv(options.data, { label: labelColumn, dtype: options.dtype }).catch((e: unknown) => {
      // The default label column is missing: say how to name another.
      if (options.labelColumn === undefined && e instanceof ConfigError && e.message.includes('label column')) {
        throw new CliError(`${e.message}; name the label column with --label-column`, EXIT_USAGE);
      }
      throw e;
    });
    const rows = table.x.shape[0];
    const classes = table.classes ?? [];
    if (rows === 0) throw new CliError(`'${options.data}' has no data rows after the header`);
    if (classes.length < 2) {
      throw new CliError(`'${options.data}': column "${labelColumn}" has ${classes.length} distinct class${classes.length === 1 ? '' : 'es'}; classification needs at least 2`);
    }
    const { train, validation } = split(table.x, table.y, options.validationSplit, options.seed);
    const scaler = new Standardizer().fit(train.x);
    train.x = scaler.transform(train.x);
    if (validation) validation.x = scaler.transform(validation.x);
    return {
      train,
      validation,
      rows,
      preprocessing: {
        format: 'blasprop-preprocess', version: 1, input: 'csv', labelColumn,
        featureNames: table.featureNames, classes, standardizer: scaler.toJSON(),
      },
    };
  }
  if (options.labels === undefined) {
    throw new CliError(`'${options.data}' is an IDX file; give the matching IDX label file with --labels <file>`, EXIT_USAGE);
  }
  if (options.labelColumn !== undefined) throw new CliError('--label-column is for CSV files; IDX images take their labels from --labels', EXIT_USAGE);
  const images = await loadIdxImages(options.data, options.labels);
  const rows = images.x.shape[0];
  if (rows === 0) throw new CliError(`'${options.data}' holds no images`);
  let max = 0;
  for (let k = 0; k < images.labels.length; k++) {
    const v = images.labels[k]!;
    if (v < 0) throw new CliError(`'${options.labels}': label ${v} of item ${k} is negative; class labels must be 0, 1, 2, …`);
    if (v > max) max = v;
  }
  const classCount = Math.max(max + 1, 2);
  const { train, validation } = split(toDType(images.x, options.dtype), images.labels, options.validationSplit, options.seed);
  const pixels = images.x.shape[1];
  return {
    train,
    validation,
    rows,
    preprocessing: {
      format: 'blasprop-preprocess', version: 1, input: 'idx', pixelScale: 255,
      pixels,
      classes: Array.from({ length: classCount }, (_, k) => String(k)),
    },
  };
}
