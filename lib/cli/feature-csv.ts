// Reading a CSV file of features only — the input of `blasprop predict`, which (unlike training and
// evaluation data) has no label column, so `loadCsv` (which requires one) does not apply. It
// streams the file through the same record splitter and number parser as `loadCsv`, with the same
// `file:line` error messages.
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

import { CsvRecordSplitter } from '../data/csv-record-splitter';
import { parseDecimal } from '../data/decimal';
import { GrowableArray } from '../data/growable-array';
import type { Matrix } from '../data/matrix';
import { FormatError } from '../errors';
import type { DType } from '../dtype';

/** Options of {@link readFeatureCsv}. */
export interface FeatureCsvOptions {
  /** Columns to read, in this order; all must be in the header. Default: every column not in `ignore`. */
  features?: readonly string[];
  /** Columns to skip when `features` is not given (e.g. a label column). */
  ignore?: readonly string[];
  /** Element type of the result. */
  dtype: DType;
}

/** The features of a CSV file. */
export interface FeatureTable {
  x: Matrix;
  featureNames: string[];
}

const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Reads the numeric feature columns of a CSV file with a header row.
 *
 * @throws FormatError naming the file and line for an empty file, a missing feature column, a row
 *   whose field count differs from the header's, a value that is not a number, or no data rows.
 */
export async function readFeatureCsv(path: string, options: FeatureCsvOptions): Promise<FeatureTable> {
  const float32 = options.dtype === 'float32';
  const values = float32 ? new GrowableArray((n) => new Float32Array(n), 1 << 16) : new GrowableArray((n) => new Float64Array(n), 1 << 16);
  let header: string[] | null = null;
  let columns: number[] = [];
  let featureNames: string[] = [];
  let rows = 0;
  const onRecord = (fields: string[], line: number): void => {
    if (header === null) {
      header = fields.slice();
      const available = header.map((n) => JSON.stringify(n)).join(', ');
      const ignore = new Set(options.ignore ?? []);
      featureNames = options.features ? [...options.features] : header.filter((n) => !ignore.has(n));
      const names = header;
      columns = featureNames.map((name) => names.indexOf(name));
      const missing = featureNames.filter((_, k) => columns[k] === -1);
      if (missing.length > 0) {
        throw new FormatError(`${path}:${line}: feature column${missing.length > 1 ? 's' : ''} ${missing.map((n) => JSON.stringify(n)).join(', ')} not found in the header; available columns: ${available}`);
      }
      if (featureNames.length === 0) throw new FormatError(`${path}:${line}: no feature columns in the header`);
      return;
    }
    if (fields.length !== header.length) {
      throw new FormatError(`${path}:${line}: expected ${header.length} fields as in the header, found ${fields.length}`);
    }
    for (let k = 0; k < columns.length; k++) {
      const text = fields[columns[k]!]!;
      const value = parseDecimal(text);
      if (!Number.isFinite(value) || (float32 && Math.abs(value) > FLOAT32_MAX)) {
        const what = text.trim() === '' ? 'empty value is not a number' : `${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)} is not a finite ${options.dtype} number`;
        throw new FormatError(`${path}:${line}: column ${JSON.stringify(featureNames[k])}: ${what}`);
      }
      values.push(value);
    }
    rows++;
  };
  const splitter = new CsvRecordSplitter(',', onRecord, path);
  const decoder = new StringDecoder('utf8');
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream) splitter.push(decoder.write(chunk as Buffer));
  } finally {
    stream.destroy();
  }
  splitter.push(decoder.end());
  splitter.end();
  if (header === null) throw new FormatError(`${path}: empty file: a header row is required`);
  if (rows === 0) throw new FormatError(`${path}: no data rows after the header`);
  return { x: { data: values.toArray(), shape: [rows, columns.length] }, featureNames };
}
