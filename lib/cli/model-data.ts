// Reading data for a trained model (`evaluate`, `predict`): the same preprocessing as at training
// time, from the model's `.preprocess.json` (standardization and column order for CSV, pixel
// scaling for IDX). Without that file (a model saved from the library API) CSV features are used
// as they are and IDX pixels are scaled to [0, 1].
import { loadCsv } from '../data/csv';
import { loadIdxImages, readIdx } from '../data/idx';
import type { Matrix } from '../data/matrix';
import type { Network } from '../network';
import { CliError, EXIT_USAGE } from './cli-error';
import { detectDataFormat } from './data-format';
import { readFeatureCsv } from './feature-csv';
import { standardize, type Preprocessing } from './preprocessing';
import { DEFAULT_LABEL_COLUMN, type LabeledSet } from './training-data';

/** Where the data comes from. */
export interface ModelDataOptions {
  data: string;
  labels?: string;
  labelColumn?: string;
}

function checkFormat(format: 'csv' | 'idx', preprocessing: Preprocessing | null, options: ModelDataOptions, modelPath: string): void {
  if (preprocessing !== null && preprocessing.input !== format) {
    const wanted = preprocessing.input === 'csv' ? 'a CSV file' : 'an IDX images file';
    throw new CliError(`'${modelPath}' was trained on ${wanted}, but '${options.data}' is ${format === 'csv' ? 'a CSV file' : 'an IDX file'}`);
  }
  if (format === 'csv' && options.labels !== undefined) {
    throw new CliError(`--labels is for IDX image files, but '${options.data}' is a CSV file; name its label column with --label-column`, EXIT_USAGE);
  }
  if (format === 'idx' && options.labelColumn !== undefined) {
    throw new CliError('--label-column is for CSV files; IDX images take their labels from --labels', EXIT_USAGE);
  }
}

function scalePixels(data: ArrayLike<number>, rows: number, cols: number, dtype: Network['dtype'], divisor: number): Matrix {
  const out = dtype === 'float64' ? new Float64Array(data.length) : new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! / divisor;
  return { data: out, shape: [rows, cols] };
}

function checkColumns(x: Matrix, net: Network, file: string, what: string): void {
  if (x.shape[1] !== net.inputs) throw new CliError(`'${file}' has ${x.shape[1]} ${what} per row, the model expects ${net.inputs}`);
  if (x.shape[0] === 0) throw new CliError(`'${file}' has no data rows`);
}

/**
 * Loads features and class labels for `evaluate`.
 *
 * @throws CliError / FormatError naming the file (and line) for data that does not fit the model.
 */
export async function loadLabeledForModel(options: ModelDataOptions, net: Network, preprocessing: Preprocessing | null, modelPath: string): Promise<LabeledSet> {
  const format = await detectDataFormat(options.data);
  checkFormat(format, preprocessing, options, modelPath);
  if (format === 'idx') {
    if (options.labels === undefined) throw new CliError(`'${options.data}' is an IDX file; give the matching IDX label file with --labels <file>`, EXIT_USAGE);
    const images = await loadIdxImages(options.data, options.labels, { scale: false });
    const [rows, cols] = images.x.shape;
    const divisor = preprocessing?.input === 'idx' ? preprocessing.pixelScale : 255;
    const x = scalePixels(images.x.data, rows, cols, net.dtype, divisor);
    checkColumns(x, net, options.data, 'pixels');
    images.labels.forEach((v, k) => {
      if (v < 0 || v >= net.outputs) throw new CliError(`'${options.labels}': label ${v} of item ${k} is not one of the model's ${net.outputs} classes (0 … ${net.outputs - 1})`);
    });
    return { x, labels: images.labels };
  }
  if (preprocessing?.input === 'csv') {
    const table = await loadCsv(options.data, {
      label: options.labelColumn ?? preprocessing.labelColumn,
      features: preprocessing.featureNames,
      classes: preprocessing.classes,
      dtype: net.dtype,
    });
    checkColumns(table.x, net, options.data, 'features');
    return { x: standardize(preprocessing, table.x), labels: table.y };
  }
  // No preprocessing file: raw features, labels must be class indices.
  const label = options.labelColumn ?? DEFAULT_LABEL_COLUMN;
  const table = await loadCsv(options.data, { label, labelType: 'number', dtype: net.dtype });
  checkColumns(table.x, net, options.data, 'features');
  const labels = new Int32Array(table.y.length);
  table.y.forEach((v, k) => {
    if (!Number.isInteger(v) || v < 0 || v >= net.outputs) {
      throw new CliError(`'${options.data}': row ${k + 1}: label ${v} is not a class index 0 … ${net.outputs - 1} (the model has no preprocessing file mapping class names)`);
    }
    labels[k] = v;
  });
  return { x: table.x, labels };
}

/**
 * Loads the features of `predict`: a CSV file (its label column, if any, is ignored; without a
 * preprocessing file that is `--label-column` or `label`) or an IDX images file.
 */
export async function loadFeaturesForModel(options: ModelDataOptions, net: Network, preprocessing: Preprocessing | null, modelPath: string): Promise<Matrix> {
  const format = await detectDataFormat(options.data);
  checkFormat(format, preprocessing, options, modelPath);
  if (options.labels !== undefined) throw new CliError('predict takes no --labels (to score a labelled set, use blasprop evaluate)', EXIT_USAGE);
  if (format === 'idx') {
    const images = await readIdx(options.data);
    if (images.shape.length < 2) throw new CliError(`'${options.data}' has shape [${images.shape.join(', ')}]; an images file has at least 2 dimensions (items × pixels…)`);
    const rows = images.shape[0]!;
    const cols = images.shape.slice(1).reduce((a, b) => a * b, 1);
    const divisor = preprocessing?.input === 'idx' ? preprocessing.pixelScale : 255;
    const x = scalePixels(images.data, rows, cols, net.dtype, divisor);
    checkColumns(x, net, options.data, 'pixels');
    return x;
  }
  if (preprocessing?.input === 'csv') {
    const table = await readFeatureCsv(options.data, { features: preprocessing.featureNames, dtype: net.dtype });
    return standardize(preprocessing, table.x);
  }
  const table = await readFeatureCsv(options.data, { ignore: [options.labelColumn ?? DEFAULT_LABEL_COLUMN], dtype: net.dtype });
  checkColumns(table.x, net, options.data, 'feature columns');
  return table.x;
}
