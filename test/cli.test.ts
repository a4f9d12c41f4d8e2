// The blasprop command line, run as a child process on small generated CSV and IDX files:
// train → evaluate → predict, JSON lines, and the failure contract (one line on stderr, non-zero
// exit code, no stack trace, no output file created or overwritten).
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'lib/cli/main.ts');
const NODE_ARGS = ['--import', 'tsx', CLI];

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Run {
  const r = spawnSync(process.execPath, [...NODE_ARGS, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, BLASPROP_DEBUG: '' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir = '';
const file = (name: string): string => path.join(dir, name);

/** A deterministic generator for the fixtures. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

const CLASSES = ['red', 'green', 'blue'];

/** Three well-separated blobs in 4 features with class names; feature scales differ a lot (standardization matters). */
function writeBlobsCsv(name: string, rows: number, withLabel: boolean, seed: number): void {
  const rand = lcg(seed);
  const lines = [withLabel ? 'f1,f2,f3,f4,colour' : 'f1,f2,f3,f4'];
  for (let i = 0; i < rows; i++) {
    const k = i % 3;
    const f = [k * 3 + rand(), 100 * (k + rand()), -k + rand() * 0.5, 0.01 * (k + rand())].map((v) => v.toFixed(4));
    lines.push(withLabel ? `${f.join(',')},${CLASSES[k]}` : f.join(','));
  }
  fs.writeFileSync(file(name), `${lines.join('\n')}\n`);
}

/** An IDX file: magic 00 00 type ndims, big-endian sizes, data. */
function idx(type: number, shape: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header[2] = type;
  header[3] = shape.length;
  shape.forEach((s, k) => header.writeUInt32BE(s, 4 + 4 * k));
  return Buffer.concat([header, Buffer.from(data)]);
}

/** 4×4 images of two classes: bright left half (0) or bright right half (1). */
function writeImages(images: string, labels: string, items: number, labelItems = items): void {
  const rand = lcg(7);
  const pixels = new Uint8Array(items * 16);
  const y = new Uint8Array(labelItems);
  for (let i = 0; i < items; i++) {
    const k = i % 2;
    for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) pixels[i * 16 + r * 4 + c] = (c < 2) === (k === 0) ? 200 + Math.floor(rand() * 55) : Math.floor(rand() * 40);
    if (i < labelItems) y[i] = k;
  }
  fs.writeFileSync(file(images), idx(0x08, [items, 4, 4], pixels));
  fs.writeFileSync(file(labels), idx(0x08, [labelItems], y));
}

const TRAIN = ['--label-column', 'colour', '--layers', '8', '--epochs', '20', '--batch-size', '16', '--lr', '0.05', '--seed', '3'];

/** Asserts the failure contract. */
function expectCleanFailure(r: Run): void {
  expect(r.status).not.toBe(0);
  expect(r.status).not.toBeNull();
  const lines = r.stderr.split('\n').filter((l) => l.length > 0);
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^blasprop: error: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stdout).toBe('');
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'blasprop-cli-'));
  writeBlobsCsv('train.csv', 150, true, 1);
  writeBlobsCsv('test.csv', 60, true, 2);
  writeBlobsCsv('new.csv', 25, false, 3);
  fs.writeFileSync(file('ragged.csv'), 'f1,f2,f3,f4,colour\n1,2,3,4,red\n1,2,3,4,green\n1,2,3,blue\n');
  fs.writeFileSync(file('not-a-model.blasprop'), 'this is not a model\n');
  writeImages('images.idx', 'labels.idx', 80);
  writeImages('images-b.idx', 'labels-short.idx', 80, 79);
});

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('blasprop train / evaluate / predict on CSV', () => {
  it('trains, saves the model and the preprocessing file, prints a summary', () => {
    const r = cli(['train', '--data', file('train.csv'), ...TRAIN, '--validation-split', '0.2', '--out', file('m.blasprop')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(fs.existsSync(file('m.blasprop'))).toBe(true);
    const pre = JSON.parse(fs.readFileSync(file('m.blasprop.preprocess.json'), 'utf8'));
    expect(pre.classes).toEqual(['blue', 'green', 'red']);
    expect(pre.featureNames).toEqual(['f1', 'f2', 'f3', 'f4']);
    expect(pre.standardizer.mean).toHaveLength(4);
    const epochLines = r.stdout.split('\n').filter((l) => l.startsWith('epoch'));
    expect(epochLines).toHaveLength(20);
    expect(epochLines[19]).toMatch(/val acc \d+\.\d\d%/);
    expect(r.stdout).toMatch(/trained 20 epochs/);
    // No temporary files left next to the outputs.
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it.each([
    ['adamw', 'AdamW, learning rate 0.001', '["adamw",0.9,0.999,1e-8]'],
    ['rmsprop', 'RMSprop, learning rate 0.01', '["rmsprop",0.99,1e-8,0,false]'],
    ['adagrad', 'Adagrad, learning rate 0.01', '["adagrad",1e-10,0]'],
  ])('--optimizer %s trains with the library defaults and saves its optimizer state', (name, summary, key) => {
    const out = file(`${name}.blasprop`);
    const r = cli(['train', '--data', file('train.csv'), '--label-column', 'colour', '--layers', '8', '--epochs', '3', '--seed', '3', '--optimizer', name, '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(summary);
    const bytes = fs.readFileSync(out);
    const header = JSON.parse(bytes.subarray(16, 16 + bytes.readUInt32LE(12)).toString('utf8')) as { optimizer: { key: string; step: number } };
    expect(header.optimizer.key).toBe(key);
    expect(header.optimizer.step).toBe(3 * Math.ceil(150 / 64));
  });

  it('--weight-decay is the decoupled decay with --optimizer adamw (and changes the weights)', () => {
    const train = (extra: string[], out: string): Buffer => {
      const r = cli(['train', '--data', file('train.csv'), '--label-column', 'colour', '--layers', '8', '--epochs', '3', '--seed', '3', '--optimizer', 'adamw', ...extra, '--quiet', '--out', file(out)]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const bytes = fs.readFileSync(file(out));
      return bytes.subarray(Math.ceil((16 + bytes.readUInt32LE(12) + 4) / 8) * 8);
    };
    expect(train(['--weight-decay', '0.5'], 'wd.blasprop').equals(train([], 'nowd.blasprop'))).toBe(false);
  });

  it('evaluate prints the accuracy of the model on labelled data', () => {
    const r = cli(['evaluate', '--model', file('m.blasprop'), '--data', file('test.csv')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const match = /60 rows, accuracy (\d+\.\d\d)% \((\d+) correct\), loss (\d+\.\d+)/.exec(r.stdout);
    expect(match, r.stdout).not.toBeNull();
    expect(Number(match![1])).toBeGreaterThanOrEqual(90);
  });

  it('predict writes one CSV row per input row with the class and class probabilities', () => {
    const r = cli(['predict', '--model', file('m.blasprop'), '--data', file('new.csv'), '--out', file('pred.csv')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/wrote 25 predictions/);
    const lines = fs.readFileSync(file('pred.csv'), 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('class,p_blue,p_green,p_red');
    expect(lines).toHaveLength(26);
    lines.slice(1).forEach((line, i) => {
      const [cls, ...p] = line.split(',');
      const probabilities = p.map(Number);
      expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      expect(cls).toBe(CLASSES[i % 3]);
      expect(cls).toBe(['blue', 'green', 'red'][probabilities.indexOf(Math.max(...probabilities))]);
    });
  });

  it('predict without --out writes the CSV to stdout; a label column in the input is ignored', () => {
    const r = cli(['predict', '--model', file('m.blasprop'), '--data', file('test.csv')]);
    expect(r.status).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(61);
  });

  it('--json prints one parseable JSON line per epoch and a final one', () => {
    const r = cli(['train', '--data', file('train.csv'), ...TRAIN, '--epochs', '4', '--validation-split', '0.2', '--json', '--out', file('j.blasprop')]);
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(5);
    expect(lines.slice(0, 4).map((l) => l.event)).toEqual(['epoch', 'epoch', 'epoch', 'epoch']);
    expect(lines.map((l) => l.epoch).slice(0, 4)).toEqual([1, 2, 3, 4]);
    for (const l of lines.slice(0, 4)) {
      for (const key of ['loss', 'accuracy', 'valLoss', 'valAccuracy', 'seconds', 'samplesPerSecond', 'learningRate']) expect(typeof l[key]).toBe('number');
    }
    expect(lines[4]).toMatchObject({ event: 'done', epochs: 4, model: file('j.blasprop'), seed: 3 });
    const evaluation = cli(['evaluate', '--model', file('j.blasprop'), '--data', file('test.csv'), '--json']);
    expect(JSON.parse(evaluation.stdout)).toMatchObject({ event: 'evaluation', rows: 60 });
  });

  it('--quiet prints only the final result', () => {
    const r = cli(['train', '--data', file('train.csv'), ...TRAIN, '--epochs', '3', '--quiet', '--out', file('q.blasprop')]);
    expect(r.status).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stdout).toMatch(/train accuracy .*saved/);
  });

  it('--report writes a self-contained HTML report', () => {
    const r = cli(['train', '--data', file('train.csv'), ...TRAIN, '--epochs', '3', '--validation-split', '0.2', '--quiet', '--out', file('r.blasprop'), '--report', file('r.html')]);
    expect(r.status).toBe(0);
    const html = fs.readFileSync(file('r.html'), 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('<polyline');
    expect(html).toContain('Gradient norm');
    expect(html).not.toMatch(/https?:\/\//);
  });
});

describe('blasprop on IDX images', () => {
  it('trains on IDX images and labels, evaluates and predicts', () => {
    const t = cli(['train', '--data', file('images.idx'), '--labels', file('labels.idx'), '--layers', '8', '--epochs', '15', '--batch-size', '8', '--lr', '0.05', '--seed', '1', '--quiet', '--out', file('img.blasprop')]);
    expect(t.stderr).toBe('');
    expect(t.status).toBe(0);
    expect(JSON.parse(fs.readFileSync(file('img.blasprop.preprocess.json'), 'utf8'))).toMatchObject({ input: 'idx', pixels: 16, classes: ['0', '1'] });
    const e = cli(['evaluate', '--model', file('img.blasprop'), '--data', file('images.idx'), '--labels', file('labels.idx'), '--json']);
    expect(e.status).toBe(0);
    expect(JSON.parse(e.stdout).accuracy).toBeGreaterThanOrEqual(0.95);
    // Gzipped IDX files are recognised by their magic bytes.
    fs.writeFileSync(file('images.idx.gz'), zlib.gzipSync(fs.readFileSync(file('images.idx'))));
    fs.writeFileSync(file('labels.idx.gz'), zlib.gzipSync(fs.readFileSync(file('labels.idx'))));
    const gz = cli(['evaluate', '--model', file('img.blasprop'), '--data', file('images.idx.gz'), '--labels', file('labels.idx.gz'), '--json']);
    expect(gz.status).toBe(0);
    expect(JSON.parse(gz.stdout).accuracy).toBe(JSON.parse(e.stdout).accuracy);
    const p = cli(['predict', '--model', file('img.blasprop'), '--data', file('images.idx')]);
    expect(p.status).toBe(0);
    const lines = p.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('class,p_0,p_1');
    expect(lines).toHaveLength(81);
  });
});

describe('failures: one line on stderr, non-zero exit, no stack trace, no output written', () => {
  const out = (): string => file('fail.blasprop');
  const cases: [string, () => string[], RegExp][] = [
    ['unknown option', () => ['train', '--data', file('train.csv'), ...TRAIN, '--out', out(), '--frobnicate'], /unknown option '--frobnicate'/],
    ['missing --data', () => ['train', ...TRAIN, '--out', out()], /--data/],
    ['non-numeric --lr', () => ['train', '--data', file('train.csv'), ...TRAIN, '--lr', 'fast', '--out', out()], /--lr.*'fast'/],
    ['negative --epochs', () => ['train', '--data', file('train.csv'), ...TRAIN, '--epochs', '-3', '--out', out()], /--epochs/],
    ['ragged CSV', () => ['train', '--data', file('ragged.csv'), ...TRAIN, '--out', out()], /ragged\.csv:4: expected 5 fields as in the header, found 4/],
    ['missing data file', () => ['train', '--data', file('nope.csv'), ...TRAIN, '--out', out()], /cannot read '.*nope\.csv': no such file/],
    ['labels count ≠ images count', () => ['train', '--data', file('images-b.idx'), '--labels', file('labels-short.idx'), '--out', out()], /80 items.*79/],
    ['IDX without --labels', () => ['train', '--data', file('images.idx'), '--out', out()], /--labels/],
    ['unknown label column', () => ['train', '--data', file('train.csv'), '--label-column', 'kind', '--out', out()], /label column "kind" not found/],
    ['--out in a missing directory', () => ['train', '--data', file('train.csv'), ...TRAIN, '--out', file('no/such/dir/m.blasprop')], /directory .* does not exist/],
    ['a non-model file as --model (evaluate)', () => ['evaluate', '--model', file('not-a-model.blasprop'), '--data', file('test.csv')], /not-a-model\.blasprop.*not a blasprop model/],
    ['a non-model file as --model (predict)', () => ['predict', '--model', file('train.csv'), '--data', file('new.csv'), '--out', out()], /train\.csv.*not a blasprop model/],
    ['--quiet with --json', () => ['train', '--data', file('train.csv'), ...TRAIN, '--quiet', '--json', '--out', out()], /cannot be used with/],
    ['unknown command', () => ['fit', '--data', file('train.csv')], /unknown command 'fit'/],
  ];
  for (const [name, args, message] of cases) {
    it(name, () => {
      const r = cli(args());
      expectCleanFailure(r);
      expect(r.stderr).toMatch(message);
      expect(fs.existsSync(out())).toBe(false);
      expect(fs.existsSync(`${out()}.preprocess.json`)).toBe(false);
    });
  }

  it('a failing run leaves existing output files untouched and no temporary files', () => {
    fs.writeFileSync(file('keep.blasprop'), 'old model');
    fs.writeFileSync(file('keep.html'), 'old report');
    const before = fs.readdirSync(dir).sort();
    const r = cli(['train', '--data', file('ragged.csv'), ...TRAIN, '--out', file('keep.blasprop'), '--report', file('keep.html')]);
    expectCleanFailure(r);
    expect(fs.readFileSync(file('keep.blasprop'), 'utf8')).toBe('old model');
    expect(fs.readFileSync(file('keep.html'), 'utf8')).toBe('old report');
    expect(fs.readdirSync(dir).sort()).toEqual(before);
  });

  it('predict --out is not overwritten when the input is bad', () => {
    fs.writeFileSync(file('keep.csv'), 'old predictions');
    const r = cli(['predict', '--model', file('m.blasprop'), '--data', file('ragged.csv'), '--out', file('keep.csv')]);
    expectCleanFailure(r);
    expect(r.stderr).toMatch(/ragged\.csv:4/);
    expect(fs.readFileSync(file('keep.csv'), 'utf8')).toBe('old predictions');
  });

  it('refuses to write the model over an input file', () => {
    const r = cli(['train', '--data', file('train.csv'), ...TRAIN, '--out', file('train.csv')]);
    expectCleanFailure(r);
    expect(r.stderr).toMatch(/also an input file/);
  });

  it('Ctrl-C during training exits with 130 and writes nothing', async () => {
    const child = spawn(process.execPath, [...NODE_ARGS, 'train', '--data', file('train.csv'), ...TRAIN, '--epochs', '100000', '--out', file('int.blasprop')], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (/^epoch /m.test(stdout) && !child.killed) child.kill('SIGINT');
      });
      child.on('close', (c) => resolve(c));
    });
    expect(code).toBe(130);
    expect(stderr.trim()).toBe('blasprop: error: interrupted; nothing was written');
    expect(fs.existsSync(file('int.blasprop'))).toBe(false);
  });
});
