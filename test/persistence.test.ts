// Persistence: Network.save / saveSync / toBuffer and Network.load / loadSync / fromBuffer.
// A saved and loaded network is bit-identical — parameters, optimizer state and step, both random
// generator states — so training continues exactly as if it had never been saved, on both
// backends and across them. Saving is atomic, and every kind of bad file is refused with a
// FormatError that names the file and the position, before any network is built.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  BusyError, ConfigError, DTypeError, FormatError, Network, type FitOptions, type NetworkOptions,
} from '../lib';
import { crc32 } from '../lib/persistence/crc32';
import { networkState } from '../lib/network';
import { BACKENDS, type BackendName } from './helpers/backends';
import { lcg, randomRows } from './helpers/reference';

// ── Fault injection: node:fs with failures on demand, to make a save fail after it has started
// writing (the library imports node:fs, so it gets this module too).
type FaultStep = 'write' | 'fsync' | 'rename';
const faults = vi.hoisted(() => ({ step: null as FaultStep | null }));

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const inject = (step: FaultStep): void => {
    if (faults.step !== step) return;
    const error = new Error(`EIO: injected ${step} failure`) as NodeJS.ErrnoException;
    error.code = 'EIO';
    throw error;
  };
  const writeSync = ((fd: number, data: Uint8Array, ...rest: number[]) => {
    if (faults.step === 'write') {
      real.writeSync(fd, data.subarray(0, 10)); // a partial write, then the failure
      inject('write');
    }
    return (real.writeSync as (fd: number, data: Uint8Array, ...rest: number[]) => number)(fd, data, ...rest);
  }) as typeof real.writeSync;
  const fsyncSync: typeof real.fsyncSync = (fd) => {
    inject('fsync');
    real.fsyncSync(fd);
  };
  const renameSync: typeof real.renameSync = (from, to) => {
    inject('rename');
    real.renameSync(from, to);
  };
  const open = (async (...args: Parameters<typeof real.promises.open>) => {
    const handle = await real.promises.open(...args);
    return new Proxy(handle, {
      get(target, key) {
        if (key === 'writeFile' && faults.step === 'write') {
          return async (data: Uint8Array) => {
            await target.write(data.subarray(0, 10));
            inject('write');
          };
        }
        if (key === 'sync' && faults.step === 'fsync') return async () => inject('fsync');
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }) as typeof real.promises.open;
  const rename: typeof real.promises.rename = async (from, to) => {
    inject('rename');
    await real.promises.rename(from, to);
  };
  const promises = { ...real.promises, open, rename };
  const mocked = { ...real, writeSync, fsyncSync, renameSync, promises };
  return { ...mocked, default: mocked };
});

// ── Data, networks, helpers

const rand = lcg(7);
const X = randomRows(48, 6, rand);
const LABELS = X.map((r) => (r[0]! + r[1]! > 0 ? (r[2]! > 0 ? 2 : 1) : 0));

const BASE: NetworkOptions = {
  inputs: 6,
  layers: [{ units: 10, activation: 'relu' }, { units: 8, activation: 'tanh' }, { units: 3, activation: 'softmax' }],
  loss: 'cross-entropy',
  seed: 1234,
};

interface TrainingCase {
  name: string;
  options: NetworkOptions;
  fit: FitOptions;
}

const CASES: TrainingCase[] = [
  { name: 'SGD + momentum, float32', options: BASE, fit: { epochs: 2, batchSize: 8, learningRate: 0.05, optimizer: { type: 'sgd', momentum: 0.9 } } },
  { name: 'Adam, float64', options: { ...BASE, dtype: 'float64' }, fit: { epochs: 2, batchSize: 5, learningRate: 0.01, optimizer: 'adam' } },
  {
    name: 'dropout + Nesterov momentum, float32',
    options: {
      ...BASE,
      inputDropout: 0.1,
      layers: [{ units: 10, activation: 'relu', dropout: 0.3 }, { units: 8, activation: 'leaky-relu', dropout: 0.2 }, { units: 3, activation: 'softmax' }],
    },
    fit: { epochs: 2, batchSize: 6, learningRate: 0.05, optimizer: { type: 'sgd', momentum: 0.8, nesterov: true } },
  },
  {
    name: 'dropout + Adam, float64',
    options: { ...BASE, dtype: 'float64', layers: [{ units: 10, activation: 'relu', dropout: 0.5 }, { units: 8, activation: 'relu', dropout: 0.25 }, { units: 3, activation: 'softmax' }] },
    fit: { epochs: 2, batchSize: 7, learningRate: 0.01, optimizer: 'adam' },
  },
  { name: 'AdamW, float64', options: { ...BASE, dtype: 'float64' }, fit: { epochs: 2, batchSize: 5, learningRate: 0.01, optimizer: { type: 'adamw', weightDecay: 0.1 } } },
  { name: 'RMSprop, float32', options: BASE, fit: { epochs: 2, batchSize: 8, learningRate: 0.005, optimizer: 'rmsprop' } },
  {
    name: 'centered RMSprop with momentum (format version 2), float64',
    options: { ...BASE, dtype: 'float64' },
    fit: { epochs: 2, batchSize: 6, learningRate: 0.002, optimizer: { type: 'rmsprop', centered: true, momentum: 0.5 } },
  },
  { name: 'Adagrad, float32', options: BASE, fit: { epochs: 2, batchSize: 8, learningRate: 0.05, optimizer: { type: 'adagrad', initialAccumulator: 0.1 } } },
];

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'blasprop-persistence-'));
});
afterEach(() => {
  faults.step = null;
  fs.chmodSync(dir, 0o755);
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Every byte of a network's state: parameters, optimizer state, RNG states, optimizer step and key. */
function stateBytes(net: Network): Buffer {
  const s = networkState(net);
  const bytes = (a: ArrayBufferView): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  return Buffer.concat([
    bytes(s.params), bytes(s.optM), bytes(s.optV), bytes(s.optG), bytes(s.dropoutRng), bytes(s.shuffleRng),
    Buffer.from(JSON.stringify([s.optimizerStep, s.optimizerKey, s.seed])),
  ]);
}

/** A copy of the parameter bytes. */
function paramBytes(net: Network): Buffer {
  const p = networkState(net).params;
  return Buffer.from(new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
}

type Route = 'save/load' | 'saveSync/loadSync' | 'toBuffer/fromBuffer';
const ROUTES: Route[] = ['save/load', 'saveSync/loadSync', 'toBuffer/fromBuffer'];

async function roundTrip(net: Network, route: Route, backend?: 'auto' | BackendName): Promise<Network> {
  const file = path.join(dir, 'model.blasprop');
  const options = backend === undefined ? undefined : { backend };
  switch (route) {
    case 'save/load':
      await net.save(file);
      return Network.load(file, options);
    case 'saveSync/loadSync':
      net.saveSync(file);
      return Network.loadSync(file, options);
    case 'toBuffer/fromBuffer':
      return Network.fromBuffer(net.toBuffer(), options);
  }
}

/** Header length, header JSON, data start of a model file. */
function parseFile(buf: Buffer): { header: Record<string, unknown> & { sections: { name: string; offset: number; length: number; byteLength: number; crc32: number }[] }; headerLength: number; dataStart: number } {
  const headerLength = buf.readUInt32LE(12);
  const header = JSON.parse(buf.subarray(16, 16 + headerLength).toString('utf8'));
  return { header, headerLength, dataStart: Math.ceil((16 + headerLength + 4) / 8) * 8 };
}

/** The model file with its header replaced by edit(header) (re-checksummed, re-padded), optionally with `extra` spaces appended to the JSON. */
function withHeader(buf: Buffer, edit: (header: Record<string, any>) => void, extra = 0): Buffer {
  const { header, dataStart } = parseFile(buf);
  edit(header);
  const json = Buffer.from(JSON.stringify(header) + ' '.repeat(extra), 'utf8');
  const start = Math.ceil((16 + json.length + 4) / 8) * 8;
  const out = Buffer.alloc(start + buf.length - dataStart);
  buf.copy(out, 0, 0, 12);
  out.writeUInt32LE(json.length, 12);
  json.copy(out, 16);
  out.writeUInt32LE(crc32(json), 16 + json.length);
  buf.copy(out, start, dataStart);
  return out;
}

/** A file that is only a preamble and the given header text (with a valid checksum). */
function rawHeader(text: string): Buffer {
  const json = Buffer.from(text, 'utf8');
  const out = Buffer.alloc(Math.ceil((16 + json.length + 4) / 8) * 8);
  out.write('BLASPROP', 0, 'latin1');
  out.writeUInt32LE(1, 8);
  out.writeUInt32LE(json.length, 12);
  json.copy(out, 16);
  out.writeUInt32LE(crc32(json), 16 + json.length);
  return out;
}

function trainedNetwork(backend: BackendName = 'native', options: NetworkOptions = CASES[3]!.options): Network {
  const net = new Network({ ...options, backend });
  net.fitSync(X, LABELS, CASES[3]!.fit);
  return net;
}

// ── Round trips

describe('continuing training after save and load is bit-identical', () => {
  for (const backend of BACKENDS) {
    for (const c of CASES) {
      it.each(ROUTES)(`${backend}, ${c.name}, via %s`, async (route) => {
        const a = new Network({ ...c.options, backend });
        a.fitSync(X, LABELS, c.fit);
        const b = await roundTrip(a, route, backend);
        expect(b.backend).toBe(backend);
        expect(stateBytes(b).equals(stateBytes(a))).toBe(true);

        const before = paramBytes(a);
        const ha = a.fitSync(X, LABELS, c.fit);
        const hb = b.fitSync(X, LABELS, c.fit);
        expect(paramBytes(a).equals(before)).toBe(false); // training did move the weights
        expect(paramBytes(b).equals(paramBytes(a))).toBe(true);
        expect(stateBytes(b).equals(stateBytes(a))).toBe(true);
        // The reported epoch losses are sums over time-sized chunks of steps (lib/fit.ts), so their
        // last bit may depend on timing; the weights above are the bit-exact criterion.
        hb.loss.forEach((loss, i) => expect(Math.abs(loss - ha.loss[i]!)).toBeLessThanOrEqual(1e-12 * Math.abs(ha.loss[i]!)));
      });
    }

    it(`${backend}: the check is sensitive — a copy with the same weights but fresh optimizer and RNG state diverges`, () => {
      const c = CASES[3]!;
      const a = new Network({ ...c.options, backend });
      a.fitSync(X, LABELS, c.fit);
      const twin = new Network({ ...c.options, backend });
      twin.setWeights(a.getWeights());
      a.fitSync(X, LABELS, c.fit);
      twin.fitSync(X, LABELS, c.fit);
      expect(paramBytes(twin).equals(paramBytes(a))).toBe(false);
    });
  }

  it('a network that was never trained round-trips (no optimizer state yet) and trains like the original', () => {
    const a = new Network({ ...BASE, backend: 'js' });
    const b = Network.fromBuffer(a.toBuffer(), { backend: 'js' });
    expect(stateBytes(b).equals(stateBytes(a))).toBe(true);
    a.fitSync(X, LABELS, CASES[0]!.fit);
    b.fitSync(X, LABELS, CASES[0]!.fit);
    expect(stateBytes(b).equals(stateBytes(a))).toBe(true);
  });

  it('trainStep after loading continues the same optimizer state', async () => {
    const a = new Network({ ...BASE, backend: 'native' });
    const step = { learningRate: 0.01, optimizer: 'adam' as const };
    for (let k = 0; k < 3; k++) a.trainStep(X, LABELS, step);
    const b = await roundTrip(a, 'save/load');
    a.trainStep(X, LABELS, step);
    b.trainStep(X, LABELS, step);
    expect(stateBytes(b).equals(stateBytes(a))).toBe(true);
  });
});

describe('loading on the other backend', () => {
  const PAIRS: [BackendName, BackendName][] = [['native', 'js'], ['wasm', 'native'], ['native', 'wasm']];
  for (const [from, to] of PAIRS) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`${dtype}: saved from ${from}, loaded with backend ${to} (and back): identical state and predictions`, async () => {
        const a = trainedNetwork(from, { ...CASES[3]!.options, dtype });
        expect(a.backend).toBe(from);
        const file = path.join(dir, 'model.blasprop');
        await a.save(file);
        const b = await Network.load(file, { backend: to });
        expect(b.backend).toBe(to);
        expect(b.dtype).toBe(dtype);
        expect(paramBytes(b).equals(paramBytes(a))).toBe(true);
        expect(stateBytes(b).equals(stateBytes(a))).toBe(true);
        const pa = a.predict(X).data, pb = b.predict(X).data;
        for (let k = 0; k < pa.length; k++) expect(Math.abs(pa[k]! - pb[k]!)).toBeLessThan(dtype === 'float64' ? 1e-12 : 1e-5);

        const c = Network.fromBuffer(b.toBuffer(), { backend: from });
        expect(c.backend).toBe(from);
        expect(stateBytes(c).equals(stateBytes(a))).toBe(true);
      });
    }
  }
});

describe('the loaded network', () => {
  it('has the same options (without backend), seed, architecture, layout and predictions', async () => {
    const a = trainedNetwork('native');
    const b = await roundTrip(a, 'save/load');
    const { backend: _backend, ...options } = a.options;
    expect(b.options).toEqual({ ...options, dtype: a.dtype });
    expect(b.seed).toBe(a.seed);
    expect(b.architecture).toEqual(a.architecture);
    expect(b.layout).toEqual(a.layout);
    expect(b.parameterCount).toBe(a.parameterCount);
    expect(b.predict(X).data).toEqual(a.predict(X).data);
    expect(b.evaluate(X, LABELS)).toEqual(a.evaluate(X, LABELS));
  });

  it('the random default seed is stored, so a network without an explicit seed round-trips too', () => {
    const { seed: _seed, ...noSeed } = BASE;
    const a = new Network({ ...noSeed, backend: 'js' });
    a.fitSync(X, LABELS, CASES[0]!.fit);
    const b = Network.fromBuffer(a.toBuffer());
    expect(b.seed).toBe(a.seed);
    expect(stateBytes(b).equals(stateBytes(a))).toBe(true);
  });

  it('is independent of the buffer it was loaded from', () => {
    const a = trainedNetwork('js');
    const buf = a.toBuffer();
    const b = Network.fromBuffer(buf);
    const before = stateBytes(b);
    buf.fill(0);
    expect(stateBytes(b).equals(before)).toBe(true);
  });
});

// ── The file format

describe('file format', () => {
  it('magic, version, header, 8-byte aligned little-endian sections with CRC-32s', () => {
    const net = trainedNetwork('native');
    const buf = net.toBuffer();
    expect(buf.subarray(0, 8).toString('latin1')).toBe('BLASPROP');
    expect(buf.readUInt32LE(8)).toBe(1);
    const { header, headerLength, dataStart } = parseFile(buf);
    expect(buf.readUInt32LE(16 + headerLength)).toBe(crc32(buf.subarray(16, 16 + headerLength)));
    expect(dataStart % 8).toBe(0);
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
    const { backend: _backend, ...options } = net.options;
    expect(header).toMatchObject({
      formatVersion: 1,
      library: { name: 'blasprop', version: pkg.version },
      architecture: { ...options, dtype: 'float64', seed: net.seed },
      dtype: 'float64',
      parameterCount: net.parameterCount,
      layout: { weightOffsets: net.layout.weightOffsets, biasOffsets: net.layout.biasOffsets, count: net.layout.count },
      optimizer: { key: networkState(net).optimizerKey, step: networkState(net).optimizerStep },
      rng: { dropout: Array.from(networkState(net).dropoutRng), shuffle: Array.from(networkState(net).shuffleRng) },
    });
    expect(Number.isNaN(Date.parse(header.createdAt as string))).toBe(false);
    expect(header.sections.map((s) => s.name)).toEqual(['params', 'optM', 'optV']);
    const state = networkState(net);
    for (const s of header.sections) {
      expect(s.offset % 8).toBe(0);
      expect(s.length).toBe(net.parameterCount);
      expect(s.byteLength).toBe(8 * net.parameterCount);
      const bytes = buf.subarray(dataStart + s.offset, dataStart + s.offset + s.byteLength);
      expect(s.crc32).toBe(crc32(bytes));
      const source = state[s.name as 'params' | 'optM' | 'optV'];
      for (let k = 0; k < s.length; k++) expect(bytes.readDoubleLE(8 * k)).toBe(source[k]); // explicitly little-endian
    }
    const last = header.sections[2]!;
    expect(buf.length).toBe(dataStart + last.offset + last.byteLength);
  });

  it('format version 2 only when optG holds state: centered RMSprop adds the optG section', () => {
    const net = new Network({ ...BASE, dtype: 'float64', backend: 'js' });
    const plain = new Network({ ...BASE, dtype: 'float64', backend: 'js' });
    net.fitSync(X, LABELS, { epochs: 1, batchSize: 8, learningRate: 0.002, optimizer: { type: 'rmsprop', centered: true } });
    plain.fitSync(X, LABELS, { epochs: 1, batchSize: 8, learningRate: 0.002, optimizer: { type: 'rmsprop' } });
    const state = networkState(net);
    expect(state.optG.some((v) => v !== 0)).toBe(true);
    expect(networkState(plain).optG.every((v) => v === 0)).toBe(true);

    const buf = net.toBuffer();
    expect(buf.readUInt32LE(8)).toBe(2);
    const { header, dataStart } = parseFile(buf);
    expect(header.formatVersion).toBe(2);
    expect(header.sections.map((s) => s.name)).toEqual(['params', 'optM', 'optV', 'optG']);
    const optG = header.sections[3]!;
    const bytes = buf.subarray(dataStart + optG.offset, dataStart + optG.offset + optG.byteLength);
    expect(optG.crc32).toBe(crc32(bytes));
    for (let k = 0; k < optG.length; k++) expect(bytes.readDoubleLE(8 * k)).toBe(state.optG[k]);
    expect(Array.from(networkState(Network.fromBuffer(buf)).optG)).toEqual(Array.from(state.optG));

    // Without state in optG the file stays version 1, readable by every blasprop, and loads with optG all zeros.
    const old = plain.toBuffer();
    expect(old.readUInt32LE(8)).toBe(1);
    expect(parseFile(old).header.sections.map((s) => s.name)).toEqual(['params', 'optM', 'optV']);
    expect(networkState(Network.fromBuffer(old)).optG.every((v) => v === 0)).toBe(true);
  });

  it('a version-1 file written by blasprop before format version 2 existed loads and writes back the same bytes', () => {
    // Written by main at 79f08cb: Adam state after 3 epochs, float64, with dropout.
    const old = fs.readFileSync(path.join(__dirname, 'fixtures', 'model-v1-adam.blasprop'));
    for (const backend of BACKENDS) {
      const net = Network.fromBuffer(old, { backend });
      expect(networkState(net).optimizerKey).toBe('["adam",0.9,0.999,1e-8]');
      expect(networkState(net).optG.every((v) => v === 0)).toBe(true);
      const again = net.toBuffer();
      const a = parseFile(old), b = parseFile(again);
      expect(again.readUInt32LE(8)).toBe(1);
      const { createdAt: _a, library: _la, ...headerA } = a.header;
      const { createdAt: _b, library: _lb, ...headerB } = b.header;
      expect(headerB).toEqual(headerA);
      expect(again.subarray(b.dataStart).equals(old.subarray(a.dataStart))).toBe(true);
    }
  });

  it('a version-2 header must list optG, and a version-1 header must not', async () => {
    const net = new Network({ ...BASE, dtype: 'float64', backend: 'js' });
    net.fitSync(X, LABELS, { epochs: 1, batchSize: 8, learningRate: 0.002, optimizer: { type: 'rmsprop', centered: true } });
    const v2 = net.toBuffer();
    expect(() => Network.fromBuffer(withHeader(v2, (h) => { h.sections.pop(); }))).toThrow(/field 'sections' must be an array of 4 sections \(params, optM, optV, optG\)/);
    const v1 = withHeader(v2, (h) => { h.formatVersion = 1; });
    v1.writeUInt32LE(1, 8);
    expect(() => Network.fromBuffer(v1)).toThrow(/field 'sections' must be an array of 3 sections \(params, optM, optV\)/);
  });

  it('float32 sections hold 4-byte little-endian floats, each section 8-byte aligned', () => {
    const net = new Network({ ...BASE, layers: [{ units: 3 }, { units: 3, activation: 'softmax' }], backend: 'js' }); // 6·3+3+3·3+3 = 33 params: odd
    const buf = net.toBuffer();
    const { header, dataStart } = parseFile(buf);
    expect(header.sections.map((s) => [s.offset, s.byteLength])).toEqual([[0, 132], [136, 132], [272, 132]]);
    const params = networkState(net).params;
    for (let k = 0; k < params.length; k++) expect(buf.readFloatLE(dataStart + 4 * k)).toBe(params[k]);
  });

  it('CRC-32 matches the standard check value (and zlib.crc32 where Node has it)', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    const data = Buffer.from(randomRows(1, 777, lcg(3))[0]!.map((v) => Math.floor((v + 1) * 127.9)));
    expect(crc32(data.subarray(300), crc32(data.subarray(0, 300)))).toBe(crc32(data));
    const zlibCrc = (zlib as unknown as { crc32?: (d: Uint8Array) => number }).crc32;
    if (zlibCrc) expect(crc32(data)).toBe(zlibCrc(data));
  });
});

// ── Atomic writes

describe('saving is atomic', () => {
  const listing = (): string[] => fs.readdirSync(dir).sort();

  it('replaces an existing file and leaves no temporary files', async () => {
    const file = path.join(dir, 'model.blasprop');
    const a = trainedNetwork('js');
    a.saveSync(file);
    const b = new Network({ ...BASE, seed: 99, backend: 'js' });
    await b.save(file);
    expect(listing()).toEqual(['model.blasprop']);
    expect(stateBytes(Network.loadSync(file)).equals(stateBytes(b))).toBe(true);
  });

  for (const step of ['write', 'fsync', 'rename'] as const) {
    for (const call of ['save', 'saveSync'] as const) {
      it(`${call}: a failure at ${step} leaves the existing file byte-identical and no temporary file`, async () => {
        const file = path.join(dir, 'model.blasprop');
        trainedNetwork('js').saveSync(file);
        const original = fs.readFileSync(file);
        const other = new Network({ ...BASE, seed: 5, backend: 'js' });
        faults.step = step;
        const attempt = call === 'save' ? other.save(file) : Promise.resolve().then(() => other.saveSync(file));
        await expect(attempt).rejects.toThrow(/cannot save the model to '.*model\.blasprop': EIO: injected/);
        await attempt.catch((e: NodeJS.ErrnoException) => expect(e.code).toBe('EIO'));
        faults.step = null;
        expect(fs.readFileSync(file).equals(original)).toBe(true);
        expect(listing()).toEqual(['model.blasprop']);
      });
    }
  }

  it('saving into a directory that does not exist fails with ENOENT and creates nothing', async () => {
    const file = path.join(dir, 'missing', 'model.blasprop');
    const net = trainedNetwork('js');
    await expect(net.save(file)).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining(file) });
    expect(() => net.saveSync(file)).toThrow(/cannot save the model to .*missing.*ENOENT/);
    expect(listing()).toEqual([]);
  });

  it('when the target is a directory the rename fails; the directory is untouched and the temporary file removed', async () => {
    const target = path.join(dir, 'model.blasprop');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'keep'), 'x');
    const net = trainedNetwork('js');
    await expect(net.save(target)).rejects.toThrow(/cannot save the model/);
    expect(() => net.saveSync(target)).toThrow(/cannot save the model/);
    expect(listing()).toEqual(['model.blasprop']);
    expect(fs.readdirSync(target)).toEqual(['keep']);
  });

  it.skipIf(process.platform === 'win32')('a directory the process may not write to: the existing file stays byte-identical', async () => {
    const file = path.join(dir, 'model.blasprop');
    trainedNetwork('js').saveSync(file);
    const original = fs.readFileSync(file);
    if (process.getuid?.() === 0) {
      // Root may write anywhere, so the save runs as the unprivileged user 'nobody' in a child process.
      fs.chmodSync(dir, 0o755);
      const scriptDir = fs.mkdtempSync(path.join(os.tmpdir(), 'blasprop-save-as-nobody-'));
      fs.chmodSync(scriptDir, 0o755);
      const script = path.join(scriptDir, 'save.ts');
      fs.writeFileSync(script, [
        `import { Network } from ${JSON.stringify(path.resolve('lib'))};`,
        `const net = new Network(${JSON.stringify({ ...BASE, backend: 'js' })});`,
        "net.save(process.argv[2]!).then(() => console.log('saved'), (e) => console.log('error', e.code));",
      ].join('\n'));
      const { spawnSync } = await import('node:child_process');
      const result = spawnSync(process.execPath, ['--import', 'tsx', script, file], { uid: 65534, gid: 65534, encoding: 'utf8', cwd: process.cwd() });
      fs.rmSync(scriptDir, { recursive: true, force: true });
      expect(result.stdout.trim(), result.stderr).toBe('error EACCES');
    } else {
      fs.chmodSync(dir, 0o555);
      await expect(new Network({ ...BASE, backend: 'js' }).save(file)).rejects.toMatchObject({ code: 'EACCES' });
      fs.chmodSync(dir, 0o755);
    }
    expect(fs.readFileSync(file).equals(original)).toBe(true);
    expect(listing()).toEqual(['model.blasprop']);
  });

  it.skipIf(process.platform === 'win32')('saving through a symbolic link replaces the file it points to, not the link', () => {
    const real = path.join(dir, 'real.blasprop');
    const link = path.join(dir, 'link.blasprop');
    trainedNetwork('js').saveSync(real);
    fs.symlinkSync(real, link);
    const b = new Network({ ...BASE, seed: 3, backend: 'js' });
    b.saveSync(link);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(stateBytes(Network.loadSync(real)).equals(stateBytes(b))).toBe(true);
    expect(listing()).toEqual(['link.blasprop', 'real.blasprop']);
  });

  it('the state is captured when save is called', async () => {
    const file = path.join(dir, 'model.blasprop');
    const net = trainedNetwork('js');
    const snapshot = stateBytes(net);
    const saving = net.save(file);
    net.trainStep(X, LABELS, 0.1); // changes the weights while the file is being written
    await saving;
    expect(stateBytes(Network.loadSync(file)).equals(snapshot)).toBe(true);
  });

  it.each(BACKENDS)('%s: checkpoints from inside fit callbacks hold the state of that moment', async (backend) => {
    const net = new Network({ ...CASES[3]!.options, backend });
    const checkpoints: { file: string; bytes: Buffer; state: Buffer }[] = [];
    await net.fit(X, LABELS, {
      ...CASES[3]!.fit,
      epochs: 3,
      callbacks: {
        onEpochEnd: (epoch) => {
          const file = path.join(dir, `epoch-${epoch}.blasprop`);
          net.saveSync(file);
          checkpoints.push({ file, bytes: net.toBuffer(), state: stateBytes(net) });
        },
      },
    });
    expect(checkpoints).toHaveLength(3);
    for (const c of checkpoints) {
      expect(stateBytes(Network.loadSync(c.file, { backend })).equals(c.state)).toBe(true);
      expect(stateBytes(Network.fromBuffer(c.bytes, { backend })).equals(c.state)).toBe(true);
    }
    expect(checkpoints[0]!.state.equals(checkpoints[2]!.state)).toBe(false);
  });

  it.each(BACKENDS)('%s: save, saveSync and toBuffer throw BusyError while fit runs', async (backend) => {
    const net = new Network({ ...BASE, backend });
    const fitting = net.fit(X, LABELS, { epochs: 3 });
    await expect(net.save(path.join(dir, 'model.blasprop'))).rejects.toThrow(BusyError);
    expect(() => net.saveSync(path.join(dir, 'model.blasprop'))).toThrow(BusyError);
    expect(() => net.toBuffer()).toThrow(BusyError);
    await fitting;
    expect(listing()).toEqual([]);
  });
});

// ── Bad files

describe('bad files are refused with a FormatError naming the file and the position', () => {
  let good: Buffer;
  beforeEach(() => {
    good = trainedNetwork('native').toBuffer();
  });

  /** Checks that loading `bytes` from a file (sync and async) and from a buffer fails with a FormatError matching `pattern`. */
  async function expectRefused(bytes: Uint8Array, pattern: RegExp): Promise<FormatError> {
    const file = path.join(dir, 'model.blasprop');
    fs.writeFileSync(file, bytes);
    const escaped = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    let error: unknown;
    try {
      Network.loadSync(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FormatError);
    expect((error as Error).message).toMatch(new RegExp(`^${escaped}: `));
    expect((error as Error).message).toMatch(pattern);
    await expect(Network.load(file)).rejects.toThrow(new RegExp(`^${escaped}: .*${pattern.source}`));
    expect(() => Network.fromBuffer(bytes)).toThrow(FormatError);
    expect(() => Network.fromBuffer(bytes)).toThrow(new RegExp(`^buffer: .*${pattern.source}`));
    return error as FormatError;
  }

  it('newer format version', async () => {
    const newer = Buffer.from(good);
    newer.writeUInt32LE(3, 8);
    const file = path.join(dir, 'model.blasprop');
    fs.writeFileSync(file, newer);
    expect(() => Network.loadSync(file)).toThrow(new FormatError(`${file}: format version 3 is newer than this blasprop supports (2); upgrade blasprop`));
    expect(() => Network.fromBuffer(newer)).toThrow('buffer: format version 3 is newer than this blasprop supports (2); upgrade blasprop');
    await expectRefused(newer, /format version 3 is newer than this blasprop supports \(2\); upgrade blasprop/);
  });

  it('format version 0', async () => {
    const bad = Buffer.from(good);
    bad.writeUInt32LE(0, 8);
    await expectRefused(bad, /format version 0 at byte 8 is not valid/);
  });

  it('an empty file', async () => {
    await expectRefused(new Uint8Array(0), /the file is empty \(0 bytes\)/);
  });

  it('a PNG image', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    await expectRefused(png, /not a blasprop model: bytes 0–7 are 89 50 4e 47 0d 0a 1a 0a \("\.PNG\.\.\.\."\), expected the magic bytes 'BLASPROP'/);
  });

  it('random bytes', async () => {
    const r = lcg(11);
    const noise = Buffer.from(Array.from({ length: 4096 }, () => Math.floor(((r() + 1) / 2) * 256) & 0xff));
    noise[0] = 0x00; // make sure it does not start like the magic
    await expectRefused(noise, /not a blasprop model: bytes 0–7 are 00 /);
  });

  it('a text file', async () => {
    await expectRefused(Buffer.from('hello, world\n'), /not a blasprop model: .*\("hello, w"\)/);
  });

  it('truncated anywhere', async () => {
    const { headerLength, dataStart } = parseFile(good);
    const cuts = [3, 8, 12, 15, 16 + 10, 16 + headerLength + 2, dataStart + 3, dataStart + 200, good.length - 1];
    for (const cut of cuts) {
      await expectRefused(good.subarray(0, cut), new RegExp(`truncated at byte ${cut}\\b`));
    }
  });

  it('unexpected bytes after the last section', async () => {
    await expectRefused(Buffer.concat([good, Buffer.from([0, 0, 0, 0])]), new RegExp(`4 unexpected bytes after the last section, from byte ${good.length} on`));
  });

  it('a flipped byte in the weights (CRC mismatch)', async () => {
    const { header, dataStart } = parseFile(good);
    for (const s of header.sections) {
      const bad = Buffer.from(good);
      bad[dataStart + s.offset + 17]! ^= 0x10;
      const start = dataStart + s.offset;
      await expectRefused(bad, new RegExp(`section '${s.name}' \\(bytes ${start}–${start + s.byteLength - 1}\\) checksum mismatch: .*the file is corrupted`));
    }
  });

  it('a flipped byte in the JSON header (header CRC mismatch) — even one that still parses', async () => {
    const { headerLength } = parseFile(good);
    const text = good.subarray(16, 16 + headerLength).toString('latin1');
    for (const at of [0, text.indexOf('"step":') + 7, text.indexOf('"dropout":0.5') + 12]) {
      const bad = Buffer.from(good);
      bad[16 + at]! ^= 0x01; // '{' → 'z'; a digit of the optimizer step; a digit of a dropout rate
      await expectRefused(bad, new RegExp(`header checksum mismatch: the CRC-32 of the header \\(bytes 16–${16 + headerLength - 1}\\) is 0x[0-9a-f]{8}, but byte ${16 + headerLength} records`));
    }
  });

  it('a flipped byte in the header checksum or the header padding', async () => {
    const { headerLength } = parseFile(good);
    const bad = Buffer.from(good);
    bad[16 + headerLength]! ^= 0x80;
    await expectRefused(bad, /header checksum mismatch/);

    const extra = [0, 1, 2, 3, 4, 5, 6, 7].find((e) => (16 + headerLength + e + 4) % 8 !== 0)!; // JSON whitespace that forces padding
    const padded = withHeader(good, () => undefined, extra);
    const { headerLength: n, dataStart } = parseFile(padded);
    expect(dataStart).toBeGreaterThan(16 + n + 4);
    expect(stateBytes(Network.fromBuffer(padded)).equals(stateBytes(Network.fromBuffer(good)))).toBe(true); // valid as it is
    padded[dataStart - 1] = 7;
    await expectRefused(padded, new RegExp(`byte ${dataStart - 1} \\(padding after the header\\) is 7, expected 0`));
  });

  it('header JSON that is not JSON (with a valid checksum)', async () => {
    await expectRefused(rawHeader('{"formatVersion": 1,'), /header \(bytes 16–35\) is not valid UTF-8 JSON/);
  });

  it('an architecture with softmax on a hidden layer → FormatError wrapping the ConfigError', async () => {
    const bad = withHeader(good, (h) => {
      h.architecture.layers[0].activation = 'softmax';
    });
    const error = await expectRefused(bad, /field 'architecture' does not describe a valid network: layers\[0\]: softmax is only allowed on the output layer/);
    expect(error.cause).toBeInstanceOf(ConfigError);
  });

  it('an architecture with an unknown option', async () => {
    await expectRefused(withHeader(good, (h) => { h.architecture.layerz = 3; }), /field 'architecture' does not describe a valid network: Network options: unknown option 'layerz'/);
  });

  it('an architecture whose parameter count differs from the sections', async () => {
    await expectRefused(withHeader(good, (h) => { h.architecture.layers[0].units = 11; }), /field 'parameterCount' is \d+ but the architecture has \d+ parameters/);
    await expectRefused(withHeader(good, (h) => { h.architecture.layers[0].units = 11; h.parameterCount += 6 + 1 + 8; }), /field 'layout' .* does not match the architecture's layout/);
  });

  it('section lengths that do not match the architecture', async () => {
    const bad = withHeader(good, (h) => {
      h.sections[1].length -= 1;
      h.sections[1].byteLength -= 8;
    });
    await expectRefused(bad, /section 'optM' has \d+ elements but the architecture has \d+ parameters/);
    await expectRefused(withHeader(good, (h) => { h.sections[2].byteLength -= 4; }), /section 'optV' has byteLength \d+, expected \d+ float64 elements × 8 bytes/);
  });

  it.each<[string, (h: Record<string, any>) => void, RegExp]>([
    ['a header formatVersion that contradicts the preamble', (h) => { h.formatVersion = 3; }, /field 'formatVersion' is 3 but the file preamble says format version 1/],
    ['a missing seed', (h) => { delete h.architecture.seed; }, /field 'architecture.seed' must be an integer in \[0, 4294967295\], got undefined/],
    ['a dtype that contradicts the architecture', (h) => { h.dtype = 'float32'; }, /field 'dtype' is 'float32' but the architecture's dtype is 'float64'/],
    ['an unknown dtype', (h) => { h.dtype = 'float16'; }, /field 'dtype' must be 'float32' or 'float64', got "float16"/],
    ['a negative optimizer step', (h) => { h.optimizer.step = -1; }, /field 'optimizer.step' must be an integer/],
    ['an optimizer key that is not a string', (h) => { h.optimizer.key = 5; }, /field 'optimizer.key' must be a string or null, got 5/],
    ['an RNG state of the wrong length', (h) => { h.rng.shuffle = [1, 2, 3]; }, /field 'rng.shuffle' must be an array of 4 integers/],
    ['an RNG word out of range', (h) => { h.rng.dropout[2] = 2 ** 32; }, /field 'rng.dropout\[2\]' must be an integer in \[0, 4294967295\]/],
    ['an all-zero RNG state', (h) => { h.rng.dropout = [0, 0, 0, 0]; }, /field 'rng.dropout' is all zeros/],
    ['a missing section', (h) => { h.sections.pop(); }, /field 'sections' must be an array of 3 sections/],
    ['a duplicated section', (h) => { h.sections[2].name = 'optM'; }, /section 'optM' is listed twice/],
    ['an unknown section', (h) => { h.sections[0].name = 'weights'; }, /field 'sections\[0\].name' must be one of params, optM, optV, got "weights"/],
    ['a section beyond the end of the file', (h) => { h.sections[2].offset += 8; }, /truncated at byte \d+: section 'optV' occupies bytes/],
    ['a section CRC that does not match', (h) => { h.sections[0].crc32 = (h.sections[0].crc32 ^ 1) >>> 0; }, /section 'params' .* checksum mismatch/],
    ['an empty header object', (h) => { Object.keys(h).forEach((k) => delete h[k]); }, /field 'formatVersion' is undefined/],
    ['a missing library', (h) => { delete h.library; }, /field 'library' must be an object, got undefined/],
  ])('%s', async (_name, edit, pattern) => {
    await expectRefused(withHeader(good, edit), pattern);
  });

  it('a header that is not an object', async () => {
    await expectRefused(rawHeader('[1,2,3]'), /field 'header' must be an object, got \[1,2,3\]/);
  });

  it('a valid file edited back to valid values loads (the edits above are what is refused)', () => {
    const same = withHeader(good, () => undefined);
    expect(stateBytes(Network.fromBuffer(same)).equals(stateBytes(Network.fromBuffer(good)))).toBe(true);
  });
});

// ── Bad arguments

describe('bad arguments', () => {
  it('load options are checked (ConfigError)', async () => {
    const buf = trainedNetwork('js').toBuffer();
    expect(() => Network.fromBuffer(buf, { backend: 'gpu' as 'js' })).toThrow(ConfigError);
    expect(() => Network.fromBuffer(buf, { backend: 'gpu' as 'js' })).toThrow(/unknown backend 'gpu'/);
    expect(() => Network.fromBuffer(buf, { backnd: 'js' } as unknown as { backend: 'js' })).toThrow(/fromBuffer options: unknown option 'backnd'/);
    expect(() => Network.fromBuffer(buf, 'js' as unknown as { backend: 'js' })).toThrow(ConfigError);
    await expect(Network.load(path.join(dir, 'x'), { backend: 'cuda' as 'js' })).rejects.toThrow(ConfigError);
  });

  it('paths and buffers are checked', async () => {
    const net = trainedNetwork('js');
    await expect(net.save('')).rejects.toThrow(ConfigError);
    expect(() => net.saveSync(42 as unknown as string)).toThrow(/saveSync\(path\): path must be a non-empty string, got 42/);
    expect(() => Network.loadSync(undefined as unknown as string)).toThrow(ConfigError);
    expect(() => Network.fromBuffer([1, 2, 3] as unknown as Buffer)).toThrow(DTypeError);
  });

  it('a missing file is reported by the file system (ENOENT), not as a format problem', async () => {
    const file = path.join(dir, 'nope.blasprop');
    await expect(Network.load(file)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(() => Network.loadSync(file)).toThrow(/ENOENT/);
  });

  it('a Uint8Array view into a larger buffer loads', () => {
    const net = trainedNetwork('js');
    const bytes = net.toBuffer();
    const big = new Uint8Array(bytes.length + 13);
    big.set(bytes, 5);
    expect(stateBytes(Network.fromBuffer(big.subarray(5, 5 + bytes.length))).equals(stateBytes(net))).toBe(true);
  });
});
