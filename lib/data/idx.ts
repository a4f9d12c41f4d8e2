// Reader for the IDX file format (the format of the MNIST data set):
//
//   byte 0, 1   0x00 0x00
//   byte 2      element type: 0x08 ubyte, 0x09 byte, 0x0b short, 0x0c int, 0x0d float, 0x0e double
//   byte 3      number of dimensions d (≥ 1 here)
//   then        d sizes, each an unsigned 32-bit big-endian integer
//   then        the elements, row-major, big-endian
//
// Files may be gzip-compressed (as MNIST is distributed); compression is recognised by the gzip
// magic bytes 1f 8b, whatever the file is called.

import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip, gunzipSync } from 'node:zlib';

import { ConfigError, DTypeError, FormatError, ShapeError } from '../errors';
import type { Matrix } from './matrix';
import { checkKnownKeys } from '../options';

const gunzipAsync = promisify(gunzip);

/** The typed arrays an IDX file can decode to, one per IDX element type. */
export type IdxTypedArray = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** The contents of an IDX file: the elements in native byte order and the sizes of the dimensions. */
export interface IdxArray {
  /** The elements, row-major; the array type follows the file's element type code. */
  data: IdxTypedArray;
  /** The size of each dimension, outermost first (for MNIST images `[60000, 28, 28]`). */
  shape: number[];
}

/** What the IDX type codes stand for. */
export interface IdxElementType {
  name: string;
  bytes: number;
  decode(view: DataView, offset: number, count: number): IdxTypedArray;
}

function decodeUint8(view: DataView, offset: number, count: number): IdxTypedArray {
  return new Uint8Array(view.buffer, view.byteOffset + offset, count).slice();
}

function decodeInt8(view: DataView, offset: number, count: number): IdxTypedArray {
  return new Int8Array(view.buffer, view.byteOffset + offset, count).slice();
}

function decodeInt16(view: DataView, offset: number, count: number): IdxTypedArray {
  const out = new Int16Array(count);
  for (let i = 0, p = offset; i < count; i++, p += 2) out[i] = view.getInt16(p, false);
  return out;
}

function decodeInt32(view: DataView, offset: number, count: number): IdxTypedArray {
  const out = new Int32Array(count);
  for (let i = 0, p = offset; i < count; i++, p += 4) out[i] = view.getInt32(p, false);
  return out;
}

function decodeFloat32(view: DataView, offset: number, count: number): IdxTypedArray {
  const out = new Float32Array(count);
  for (let i = 0, p = offset; i < count; i++, p += 4) out[i] = view.getFloat32(p, false);
  return out;
}

function decodeFloat64(view: DataView, offset: number, count: number): IdxTypedArray {
  const out = new Float64Array(count);
  for (let i = 0, p = offset; i < count; i++, p += 8) out[i] = view.getFloat64(p, false);
  return out;
}

const ELEMENT_TYPES: ReadonlyMap<number, IdxElementType> = new Map([
  [0x08, { name: 'ubyte', bytes: 1, decode: decodeUint8 }],
  [0x09, { name: 'byte', bytes: 1, decode: decodeInt8 }],
  [0x0b, { name: 'short', bytes: 2, decode: decodeInt16 }],
  [0x0c, { name: 'int', bytes: 4, decode: decodeInt32 }],
  [0x0d, { name: 'float', bytes: 4, decode: decodeFloat32 }],
  [0x0e, { name: 'double', bytes: 8, decode: decodeFloat64 }],
]);

const KNOWN_TYPE_CODES = [...ELEMENT_TYPES].map(([code, t]) => `${hexByte(code)} ${t.name}`).join(', ');

function hexByte(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`;
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function gzipError(name: string, err: unknown): FormatError {
  const reason = err instanceof Error ? err.message : String(err);
  return new FormatError(`${name}: invalid gzip data at byte offset 0: ${reason}`);
}

/** An IDX header: the element type, the sizes of the dimensions and the header's length in bytes. */
export interface IdxHeader {
  type: IdxElementType;
  shape: number[];
  headerBytes: number;
}

/**
 * Reads the header at the start of decompressed IDX bytes (`bytes` may hold only a prefix of the
 * file). `where` is appended to byte offsets so that a message about a gzipped file says the offset
 * is in the decompressed data.
 */
export function parseIdxHeader(bytes: Uint8Array, name: string, where: string): IdxHeader {
  const at = (offset: number): string => `byte offset ${offset}${where}`;
  if (bytes.length < 4) {
    throw new FormatError(
      `${name}: truncated header at ${at(bytes.length)}: an IDX file starts with a 4-byte magic number, file has ${bytes.length} bytes`,
    );
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new FormatError(
      `${name}: bad magic number at ${at(0)}: an IDX file starts with 0x00 0x00, found ${hexByte(bytes[0])} ${hexByte(bytes[1])}`,
    );
  }
  const type = ELEMENT_TYPES.get(bytes[2]);
  if (type === undefined) {
    throw new FormatError(
      `${name}: unknown IDX element type code ${hexByte(bytes[2])} at ${at(2)} (known codes: ${KNOWN_TYPE_CODES})`,
    );
  }
  const ndims = bytes[3];
  if (ndims === 0) {
    throw new FormatError(`${name}: zero dimensions at ${at(3)}: an IDX file needs at least one dimension`);
  }
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw new FormatError(
      `${name}: truncated header at ${at(bytes.length)}: ${ndims} dimensions need a ${headerBytes}-byte header, file has ${bytes.length} bytes`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let k = 0; k < ndims; k++) shape.push(view.getUint32(4 + 4 * k, false));
  return { type, shape, headerBytes };
}

/** `shape 60000×28×28 of ubyte (1 byte each)`, for messages. */
export function describeIdxData(header: IdxHeader): string {
  const { type, shape } = header;
  return `shape ${shape.join('×')} of ${type.name} (${type.bytes} byte${type.bytes === 1 ? '' : 's'} each)`;
}

/** Decodes IDX bytes that are already decompressed. */
function decodeIdxBytes(bytes: Uint8Array, name: string, where: string): IdxArray {
  const at = (offset: number): string => `byte offset ${offset}${where}`;
  const header = parseIdxHeader(bytes, name, where);
  const { type, shape, headerBytes } = header;
  const count = shape.reduce((a, b) => a * b, 1);
  const dataBytes = count * type.bytes;
  const available = bytes.length - headerBytes;
  if (available < dataBytes) {
    throw new FormatError(
      `${name}: truncated data at ${at(bytes.length)}: ${describeIdxData(header)} needs ${dataBytes} bytes of data from ${at(headerBytes)}, found ${available}`,
    );
  }
  if (available > dataBytes) {
    const end = headerBytes + dataBytes;
    throw new FormatError(
      `${name}: trailing garbage at ${at(end)}: ${available - dataBytes} bytes after the end of the data (${describeIdxData(header)})`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { data: type.decode(view, headerBytes, count), shape };
}

/**
 * Parses the contents of an IDX file, decompressing it first if it starts with the gzip magic
 * bytes 1f 8b.
 *
 * Multi-byte elements are stored big-endian in the file and converted to the platform's byte
 * order. The returned array owns its memory (it is not a view into `buffer`).
 *
 * @param buffer - the file contents, plain or gzip-compressed.
 * @param name - what to call the data in error messages (usually the file name).
 * @returns the elements as the typed array of the file's element type (ubyte → Uint8Array,
 *   byte → Int8Array, short → Int16Array, int → Int32Array, float → Float32Array,
 *   double → Float64Array) and the shape.
 * @throws FormatError naming `name` and the byte offset for: invalid gzip data, a bad magic
 *   number (first two bytes not zero), an unknown element type code, zero dimensions, a truncated
 *   header, truncated data (fewer bytes than the product of the sizes needs) and trailing bytes
 *   after the data. For a gzipped file the offsets are in the decompressed data, and the message
 *   says so.
 */
export function parseIdx(buffer: Uint8Array, name = '<buffer>'): IdxArray {
  if (isGzip(buffer)) {
    let plain: Uint8Array;
    try {
      plain = gunzipSync(buffer);
    } catch (err) {
      throw gzipError(name, err);
    }
    return decodeIdxBytes(plain, name, ' of the decompressed data');
  }
  return decodeIdxBytes(buffer, name, '');
}

/**
 * Reads an IDX file synchronously; see {@link parseIdx} for the result and errors.
 *
 * Gzip compression is recognised by the magic bytes, not the file name, so a file called
 * `*.gz` that is in fact plain (as browsers sometimes save MNIST downloads) is read as well.
 */
export function readIdxSync(path: string): IdxArray {
  return parseIdx(readFileSync(path), path);
}

/**
 * Reads an IDX file without blocking the event loop for the decompression; see {@link parseIdx}
 * for the result and errors.
 */
export async function readIdx(path: string): Promise<IdxArray> {
  const raw = await readFile(path);
  if (!isGzip(raw)) return decodeIdxBytes(raw, path, '');
  let plain: Uint8Array;
  try {
    plain = await gunzipAsync(raw);
  } catch (err) {
    throw gzipError(path, err);
  }
  return decodeIdxBytes(plain, path, ' of the decompressed data');
}

/** Options of {@link loadIdxImages}. */
export interface IdxImagesOptions {
  /**
   * Divide the unsigned-byte pixel values by 255 so that they lie in [0, 1] (default true).
   * Only defined for ubyte image files; with `false` the values are converted unchanged.
   */
  scale?: boolean;
}

/** Images and their class labels, as loaded by {@link loadIdxImages}. */
export interface IdxImageSet {
  /** One row per image, one column per pixel (rows × (height·width·…)). */
  x: Matrix<Float32Array>;
  /** The class label of each image. */
  labels: Int32Array;
}

const INTEGER_ARRAYS = [Uint8Array, Int8Array, Int16Array, Int32Array];

/** What checkImageSet needs to know of an IDX file. */
export interface IdxFileFacts {
  shape: number[];
  /** The elements are integers. */
  integer: boolean;
  ubyte: boolean;
  /** The element type, for messages. */
  typeName: string;
}

/** Checks that an images file and a labels file form an image set; throws ShapeError or DTypeError. */
export function checkImageSet(images: IdxFileFacts, labels: IdxFileFacts, imagesPath: string, labelsPath: string, scale: boolean): void {
  if (images.shape.length < 2) {
    throw new ShapeError(
      `${imagesPath}: images file has shape [${images.shape.join(', ')}]; expected at least 2 dimensions (items × pixels…)`,
    );
  }
  if (labels.shape.length !== 1) {
    throw new ShapeError(`${labelsPath}: labels file has shape [${labels.shape.join(', ')}]; expected 1 dimension (items)`);
  }
  if (labels.shape[0] !== images.shape[0]) {
    throw new ShapeError(
      `images file has ${images.shape[0]} items, labels file has ${labels.shape[0]} (${imagesPath}, ${labelsPath})`,
    );
  }
  if (!labels.integer) {
    throw new DTypeError(`${labelsPath}: labels must be integers, file holds ${labels.typeName} values`);
  }
  if (scale && !images.ubyte) {
    throw new DTypeError(
      `${imagesPath}: scale: true divides ubyte pixels by 255, but the file holds ${images.typeName} values; pass { scale: false }`,
    );
  }
}

/**
 * Loads an IDX image file and the matching IDX label file (the MNIST layout) as a float32
 * matrix with one image per row and an Int32Array of labels.
 *
 * @param imagesPath - IDX file of shape [items, …] (for MNIST [items, 28, 28]); plain or gzipped.
 * @param labelsPath - IDX file of shape [items] with integer labels; plain or gzipped.
 * @param options - `scale` (default true) divides ubyte pixels by 255.
 * @throws FormatError for a malformed file (see {@link parseIdx}).
 * @throws ShapeError if the images file has fewer than 2 dimensions, the labels file is not
 *   1-dimensional, or the item counts differ (`"images file has 60000 items, labels file has 59999"`).
 * @throws DTypeError if the labels are not integers, or `scale` is on and the images are not ubyte.
 * @throws ConfigError for an unknown option.
 */
export async function loadIdxImages(
  imagesPath: string,
  labelsPath: string,
  options: IdxImagesOptions = {},
): Promise<IdxImageSet> {
  checkKnownKeys(options, ['scale'], 'loadIdxImages options');
  const scale = options.scale ?? true;
  if (typeof scale !== 'boolean') throw new ConfigError(`loadIdxImages: scale must be a boolean, got ${typeof scale}`);

  const [images, labels] = await Promise.all([readIdx(imagesPath), readIdx(labelsPath)]);
  checkImageSet(
    { shape: images.shape, integer: INTEGER_ARRAYS.some((ctor) => images.data instanceof ctor), ubyte: images.data instanceof Uint8Array, typeName: images.data.constructor.name },
    { shape: labels.shape, integer: INTEGER_ARRAYS.some((ctor) => labels.data instanceof ctor), ubyte: labels.data instanceof Uint8Array, typeName: labels.data.constructor.name },
    imagesPath, labelsPath, scale,
  );
  const items = images.shape[0];
  const pixels = images.shape.slice(1).reduce((a, b) => a * b, 1);
  const x = new Float32Array(images.data.length);
  if (scale) {
    const src = images.data;
    for (let i = 0; i < src.length; i++) x[i] = src[i] / 255;
  } else {
    x.set(images.data);
  }
  return { x: { data: x, shape: [items, pixels] }, labels: Int32Array.from(labels.data) };
}
