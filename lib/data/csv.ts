// Loader for tabular data in CSV files: a header row, numeric feature columns and one label
// column (class names or numeric targets). Files are streamed: the text is split into records
// chunk by chunk and the numbers go straight into growable typed arrays, so memory holds the
// parsed numbers and one chunk of text, not the file and not an array of rows.

import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

import { ConfigError, FormatError } from '../errors';
import { CsvRecordSplitter } from './csv-record-splitter';
import { parseDecimal } from './decimal';
import { GrowableArray } from './growable-array';
import type { Matrix, MatrixData } from './matrix';
import type { DType } from '../dtype';
import { checkInteger, checkKnownKeys } from '../options';

/** Options of {@link loadCsv} and {@link parseCsvString}. */
export interface CsvOptions {
  /** Name of the label column (as written in the header). */
  label: string;
  /**
   * Names of the feature columns, in the order they should appear as columns of `x`. Default:
   * every column except the label, in file order. Columns that are neither features nor the label
   * are skipped without being parsed.
   */
  features?: string[];
  /** Element type of `x` (default `'float32'`). */
  dtype?: DType;
  /** One-character field separator (default `','`); not `"`, CR or LF. */
  delimiter?: string;
  /**
   * `'class'` (default): labels are category names, mapped to integer indices (`y` is an
   * Int32Array and `classes` maps index → name). `'number'`: labels are numeric targets (`y` is a
   * Float64Array).
   */
  labelType?: 'class' | 'number';
  /**
   * Only with `labelType: 'class'`: the class names in index order, to get the same mapping for
   * several files (for example a training and a test file). A label not in the list is an error.
   * Default: the labels found in the file, sorted (see {@link CsvDataset.classes}).
   */
  classes?: string[];
}

/** A table loaded from CSV. */
export interface CsvDataset<
  X extends MatrixData = MatrixData,
  Y extends Int32Array | Float64Array = Int32Array | Float64Array,
> {
  /** Features: one row per record, one column per feature (in `featureNames` order). */
  x: Matrix<X>;
  /** Labels: class indices (Int32Array) or numeric targets (Float64Array), one per row. */
  y: Y;
  /** Name of each column of `x`. */
  featureNames: string[];
  /**
   * Present for class labels: `classes[k]` is the label text of class index k. Unless given in
   * the options, the classes are the distinct labels of the file, **sorted** — numerically when
   * every label is a decimal number (so labels "0" … "9" get indices 0 … 9), otherwise by UTF-16
   * code units (plain `<`, not locale-dependent). Sorting, rather than order of first appearance,
   * makes the mapping independent of row order, so a shuffled copy of a file gets the same indices.
   * Label text is used exactly as written (not trimmed).
   */
  classes?: string[];
}

// The `label: string` in the second tests keeps `{ dtype?: … }` from being a weak (all-optional)
// type, to which an options object without `dtype` would not count as assignable.

/** The feature array type that options `O` produce: Float64Array for `dtype: 'float64'`, else Float32Array. */
export type CsvFeaturesOf<O extends CsvOptions> = O extends { dtype: 'float64' }
  ? Float64Array
  : O extends { label: string; dtype?: 'float32' }
    ? Float32Array
    : MatrixData;

/** The label array type that options `O` produce: Float64Array for `labelType: 'number'`, else Int32Array. */
export type CsvLabelsOf<O extends CsvOptions> = O extends { labelType: 'number' }
  ? Float64Array
  : O extends { label: string; labelType?: 'class' }
    ? Int32Array
    : Int32Array | Float64Array;

/** The dataset type that options `O` produce. */
export type CsvDatasetFor<O extends CsvOptions> = CsvDataset<CsvFeaturesOf<O>, CsvLabelsOf<O>>;

/** Bytes read from the file at a time. */
const READ_CHUNK_BYTES = 1 << 20;

const KNOWN_OPTIONS = ['label', 'features', 'dtype', 'delimiter', 'labelType', 'classes'];

const FLOAT32_MAX = 3.4028234663852886e38;

/** Options after validation, with defaults filled in. */
interface ResolvedCsvOptions {
  label: string;
  features: string[] | undefined;
  dtype: DType;
  delimiter: string;
  labelType: 'class' | 'number';
  classes: string[] | undefined;
}

function resolveOptions(options: CsvOptions, caller: string): ResolvedCsvOptions {
  if (options === null || typeof options !== 'object') {
    throw new ConfigError(`${caller}: options must be an object with at least { label }`);
  }
  checkKnownKeys(options, KNOWN_OPTIONS, `${caller} options`);
  const { label, features, classes } = options;
  const dtype = options.dtype ?? 'float32';
  const delimiter = options.delimiter ?? ',';
  const labelType = options.labelType ?? 'class';
  if (typeof label !== 'string') throw new ConfigError(`${caller}: label must be the name of the label column`);
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new ConfigError(`${caller}: dtype must be 'float32' or 'float64', got ${JSON.stringify(dtype)}`);
  }
  if (typeof delimiter !== 'string' || delimiter.length !== 1 || '"\r\n'.includes(delimiter)) {
    throw new ConfigError(
      `${caller}: delimiter must be one character other than a quote, CR or LF, got ${JSON.stringify(delimiter)}`,
    );
  }
  if (labelType !== 'class' && labelType !== 'number') {
    throw new ConfigError(`${caller}: labelType must be 'class' or 'number', got ${JSON.stringify(labelType)}`);
  }
  if (features !== undefined) {
    checkNameList(features, 'features', caller);
    if (features.length === 0) throw new ConfigError(`${caller}: features must name at least one column`);
    if (features.includes(label)) {
      throw new ConfigError(`${caller}: column "${label}" cannot be both the label and a feature`);
    }
  }
  if (classes !== undefined) {
    if (labelType !== 'class') throw new ConfigError(`${caller}: classes can only be given with labelType 'class'`);
    checkNameList(classes, 'classes', caller);
    if (classes.length === 0) throw new ConfigError(`${caller}: classes must list at least one class`);
  }
  return {
    label,
    features: features?.slice(),
    dtype,
    delimiter,
    labelType,
    classes: classes?.slice(),
  };
}

function checkNameList(list: unknown, what: string, caller: string): void {
  if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) {
    throw new ConfigError(`${caller}: ${what} must be an array of strings`);
  }
  const seen = new Set<string>();
  for (const s of list) {
    if (seen.has(s)) throw new ConfigError(`${caller}: ${what} lists "${s}" twice`);
    seen.add(s);
  }
}

/** Quotes a value for an error message, shortened if long. */
function quoted(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

/**
 * A copy of `text` that does not share memory with the chunk it was sliced from (V8 keeps sliced
 * strings as views of their parent; a class name kept in a map must not pin a whole chunk).
 */
function detached(text: string): string {
  // V8 copies strings shorter than 13 characters when slicing; longer ones are rebuilt code unit
  // by code unit (exact, unlike a UTF-8 round trip, which would alter lone surrogates).
  return text.length < 13 ? text : text.split('').join('');
}

/** Orders class names: numerically if all are decimal numbers, else by UTF-16 code units. */
function sortClassNames(names: string[]): string[] {
  const numeric = names.map(parseDecimal);
  const order = names.map((_, k) => k);
  const byText = (a: number, b: number): number => (names[a] < names[b] ? -1 : names[a] > names[b] ? 1 : 0);
  if (numeric.every((v) => Number.isFinite(v))) {
    order.sort((a, b) => numeric[a] - numeric[b] || byText(a, b));
  } else {
    order.sort(byText);
  }
  return order.map((k) => names[k]);
}

/** Consumes the records of one CSV input and assembles the dataset. */
class CsvTableBuilder {
  private width = 0;
  private headerSeen = false;
  private featureNames: string[] = [];
  private featureColumns: number[] = [];
  private labelColumn = -1;
  private rows = 0;
  private readonly x: GrowableArray<Float32Array> | GrowableArray<Float64Array>;
  private readonly numericLabels = new GrowableArray((n) => new Float64Array(n), 4096);
  private readonly classLabels = new GrowableArray((n) => new Int32Array(n), 4096);
  /** Class name → index (given classes, or indices in order of first appearance before sorting). */
  private readonly classIndex = new Map<string, number>();
  private readonly classNames: string[] = [];

  constructor(
    private readonly options: ResolvedCsvOptions,
    private readonly name: string,
  ) {
    this.x =
      options.dtype === 'float64'
        ? new GrowableArray((n) => new Float64Array(n), 1 << 16)
        : new GrowableArray((n) => new Float32Array(n), 1 << 16);
    if (options.classes !== undefined) {
      options.classes.forEach((c, k) => this.classIndex.set(c, k));
      this.classNames.push(...options.classes);
    }
  }

  /** Handles one record from the splitter. */
  readonly onRecord = (fields: string[], line: number): void => {
    if (!this.headerSeen) {
      this.readHeader(fields, line);
      return;
    }
    if (fields.length !== this.width) {
      throw new FormatError(
        `${this.name}:${line}: expected ${this.width} fields as in the header, found ${fields.length}`,
      );
    }
    const x = this.x;
    const float32 = this.options.dtype === 'float32';
    const columns = this.featureColumns;
    for (let k = 0; k < columns.length; k++) {
      const text = fields[columns[k]];
      const value = parseDecimal(text);
      if (!Number.isFinite(value) || (float32 && Math.abs(value) > FLOAT32_MAX)) {
        throw this.valueError(line, this.featureNames[k], text, value, float32 ? 'float32' : 'float64');
      }
      x.push(value);
    }
    this.pushLabel(fields[this.labelColumn], line);
    this.rows++;
  };

  /** Rows read since the last takeRows (or the start). */
  get rowCount(): number {
    return this.rows;
  }

  /**
   * The rows read since the last call, as a dataset, and forgets them: for streaming, where class
   * labels must map through given `classes` (finish() sorts the classes seen, which a stream cannot).
   */
  takeRows(): CsvDataset {
    const batch = this.finish();
    this.x.clear();
    this.numericLabels.clear();
    this.classLabels.clear();
    this.rows = 0;
    return batch;
  }

  /** The dataset built from all records; call after the last record. */
  finish(): CsvDataset {
    if (!this.headerSeen) throw new FormatError(`${this.name}: empty file: a header row is required`);
    const x: Matrix = { data: this.x.toArray(), shape: [this.rows, this.featureColumns.length] };
    if (this.options.labelType === 'number') {
      return { x, y: this.numericLabels.toArray(), featureNames: this.featureNames };
    }
    const y = this.classLabels.toArray();
    if (this.options.classes !== undefined) {
      return { x, y, featureNames: this.featureNames, classes: this.classNames.slice() };
    }
    const classes = sortClassNames(this.classNames);
    const remap = new Int32Array(classes.length);
    classes.forEach((c, sorted) => {
      remap[this.classIndex.get(c) ?? 0] = sorted;
    });
    for (let i = 0; i < y.length; i++) y[i] = remap[y[i]];
    return { x, y, featureNames: this.featureNames, classes };
  }

  private readHeader(fields: string[], line: number): void {
    const names = fields.map(detached);
    const firstColumn = new Map<string, number>();
    names.forEach((n, k) => {
      const previous = firstColumn.get(n);
      if (previous !== undefined) {
        throw new FormatError(
          `${this.name}:${line}: column name ${quoted(n)} appears twice in the header (columns ${previous + 1} and ${k + 1})`,
        );
      }
      firstColumn.set(n, k);
    });
    const available = names.map((n) => JSON.stringify(n)).join(', ');
    const { label, features } = this.options;
    const labelColumn = firstColumn.get(label);
    if (labelColumn === undefined) {
      throw new ConfigError(`${this.name}: label column ${quoted(label)} not found; available columns: ${available}`);
    }
    const featureNames = features ?? names.filter((n) => n !== label);
    const missing = featureNames.filter((n) => !firstColumn.has(n));
    if (missing.length > 0) {
      throw new ConfigError(
        `${this.name}: feature column${missing.length > 1 ? 's' : ''} ${missing.map((n) => JSON.stringify(n)).join(', ')} not found; available columns: ${available}`,
      );
    }
    if (featureNames.length === 0) {
      throw new ConfigError(`${this.name}: no feature columns: the header has only the label column ${quoted(label)}`);
    }
    this.width = names.length;
    this.labelColumn = labelColumn;
    this.featureNames = featureNames;
    this.featureColumns = featureNames.map((n) => firstColumn.get(n) ?? -1);
    this.headerSeen = true;
  }

  private pushLabel(text: string, line: number): void {
    if (text === '') throw new FormatError(`${this.name}:${line}: ${this.labelColumnText()}: empty label`);
    if (this.options.labelType === 'number') {
      const value = parseDecimal(text);
      if (!Number.isFinite(value)) throw this.valueError(line, this.options.label, text, value, 'float64');
      this.numericLabels.push(value);
      return;
    }
    let index = this.classIndex.get(text);
    if (index === undefined) {
      if (this.options.classes !== undefined) {
        throw new FormatError(
          `${this.name}:${line}: ${this.labelColumnText()}: ${quoted(text)} is not one of the given classes (${this.options.classes.map((c) => JSON.stringify(c)).join(', ')})`,
        );
      }
      index = this.classNames.length;
      const name = detached(text);
      this.classIndex.set(name, index);
      this.classNames.push(name);
    }
    this.classLabels.push(index);
  }

  private labelColumnText(): string {
    return `column ${quoted(this.options.label)}`;
  }

  /** The error for a value that did not parse (NaN) or does not fit the element type. */
  private valueError(
    line: number,
    columnName: string,
    text: string,
    value: number,
    dtype: DType,
  ): FormatError {
    const hint = dtype === 'float32' && Math.abs(value) !== Infinity ? " (use dtype: 'float64')" : '';
    const what = Number.isNaN(value)
      ? text.trim() === ''
        ? 'empty value is not a number'
        : `${quoted(text)} is not a number`
      : `${quoted(text)} is outside the ${dtype} range${hint}`;
    return new FormatError(`${this.name}:${line}: column ${quoted(columnName)}: ${what}`);
  }
}

/**
 * Loads a CSV file with a header row into a feature matrix and a label vector, streaming it.
 *
 * Format: RFC 4180 for the common case — quoted fields may hold delimiters, line breaks and
 * doubled quotes (`""`); lines end with LF, CRLF or CR; a UTF-8 byte-order mark, blank lines and a
 * missing or present final line break are fine. Feature values must be decimal numbers (sign,
 * digits, point, exponent; surrounding spaces allowed; no `NaN`, `Infinity` or hex).
 *
 * @param path - the CSV file (UTF-8).
 * @param options - the label column and optional features, dtype, delimiter, labelType, classes.
 * @returns `x` (rows × features), `y`, `featureNames` and, for class labels, `classes`.
 * @throws ConfigError for invalid options, or a label or feature column that is not in the
 *   header (the message lists the available columns).
 * @throws FormatError naming the file and line for: an empty file, a duplicate header name, a
 *   row with a different number of fields than the header (expected vs found), a feature value
 *   that is empty or not a number (`data.csv:17: column "age": "abc" is not a number`), an empty
 *   or unknown label, a character after a closing quote, an unterminated quoted field.
 */
export async function loadCsv<O extends CsvOptions>(path: string, options: O): Promise<CsvDatasetFor<O>> {
  const resolved = resolveOptions(options, 'loadCsv');
  const builder = new CsvTableBuilder(resolved, path);
  const splitter = new CsvRecordSplitter(resolved.delimiter, builder.onRecord, path);
  const decoder = new StringDecoder('utf8');
  const stream = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
  try {
    for await (const chunk of stream) {
      if (!Buffer.isBuffer(chunk)) throw new TypeError('loadCsv: expected the file stream to yield Buffers');
      splitter.push(decoder.write(chunk));
    }
  } finally {
    stream.destroy();
  }
  splitter.push(decoder.end());
  splitter.end();
  // The builder produces the arrays that the options ask for; the cast only restates that.
  return builder.finish() as CsvDatasetFor<O>;
}

/** Options of {@link csvBatches}: those of {@link loadCsv}, and the batch size. */
export type CsvBatchOptions = CsvOptions & {
  /** Rows per batch. */
  batchSize: number;
};

/**
 * Streams a CSV file as batches of `batchSize` rows for `net.fit(source, …)`; each call of the
 * returned source reads the file from the start. Memory stays constant: one batch and one read
 * chunk (1 MiB) at a time. Class labels need the `classes` option (or `labelType: 'number'`), so
 * that every batch maps a label to the same index. Format and errors as {@link loadCsv}.
 *
 * @throws ConfigError for bad options (at once); FormatError and ConfigError as loadCsv when the
 *   file is read.
 */
export function csvBatches<O extends CsvBatchOptions>(path: string, options: O): () => AsyncIterable<CsvDatasetFor<O>> {
  if (options === null || typeof options !== 'object') throw new ConfigError('csvBatches: options must be an object with at least { label, batchSize }');
  const { batchSize, ...csvOptions } = options;
  const rows = checkInteger(batchSize, 'csvBatches: batchSize', 1);
  const resolved = resolveOptions(csvOptions, 'csvBatches');
  if (resolved.labelType === 'class' && resolved.classes === undefined) {
    throw new ConfigError("csvBatches: class labels need the classes option (every label, in index order), or labelType: 'number'");
  }
  return async function* batches(): AsyncGenerator<CsvDatasetFor<O>> {
    const builder = new CsvTableBuilder(resolved, path);
    const ready: CsvDataset[] = [];
    const splitter = new CsvRecordSplitter(resolved.delimiter, (fields, line) => {
      builder.onRecord(fields, line);
      if (builder.rowCount === rows) ready.push(builder.takeRows());
    }, path);
    const decoder = new StringDecoder('utf8');
    const stream = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
    try {
      for await (const chunk of stream) {
        if (!Buffer.isBuffer(chunk)) throw new TypeError('csvBatches: expected the file stream to yield Buffers');
        splitter.push(decoder.write(chunk));
        while (ready.length > 0) yield ready.shift() as CsvDatasetFor<O>;
      }
    } finally {
      stream.destroy();
    }
    splitter.push(decoder.end());
    splitter.end();
    while (ready.length > 0) yield ready.shift() as CsvDatasetFor<O>;
    const last = builder.takeRows();
    if (last.x.shape[0] > 0) yield last as CsvDatasetFor<O>;
  };
}

/**
 * Parses CSV text held in memory, with the same format, options, result and errors as
 * {@link loadCsv}.
 *
 * @param text - the CSV text, header row first.
 * @param options - as for {@link loadCsv}.
 * @param name - what to call the text in error messages (default `"<string>"`).
 */
export function parseCsvString<O extends CsvOptions>(text: string, options: O, name = '<string>'): CsvDatasetFor<O> {
  const resolved = resolveOptions(options, 'parseCsvString');
  const builder = new CsvTableBuilder(resolved, name);
  const splitter = new CsvRecordSplitter(resolved.delimiter, builder.onRecord, name);
  splitter.push(text);
  splitter.end();
  return builder.finish() as CsvDatasetFor<O>;
}
