// Streams a generated CSV file of more than 50 MB through loadCsv and checks that the loader's
// JavaScript heap stays far below the file size (no whole-file string, no array of rows).

import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { loadCsv } from '../lib/data';

const ROWS = 750_000;
const KINDS = ['alpha', 'beta, with comma', 'gamma "quoted"'];

/** The values of row i (0-based), so the test can check any row without keeping them. */
function rowValues(i: number): number[] {
  return [i, (i % 1000) / 8, 0.5 - i * 0.25, (i * 7919) % 100003, i / 3, ((i * 31) % 997) - 498.5, 1e-3 * (i % 12345), 42];
}

/** Text of row i: the eight features (the fifth with 6 decimals) and a quoted label. */
function rowText(i: number): string {
  const v = rowValues(i);
  const label = KINDS[i % 3].replace(/"/g, '""');
  return `${v[0]},${v[1]},${v[2]},${v[3]},${v[4].toFixed(6)},${v[5]},${v[6]},${v[7]},"${label}"\r\n`;
}

let dir: string;
let path: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'blasprop-csv-stream-'));
  path = join(dir, 'big.csv');
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, '\ufeffid,a,b,c,d,e,f,const,kind\r\n');
    const rowsPerWrite = 10_000;
    for (let start = 0; start < ROWS; start += rowsPerWrite) {
      let block = '';
      for (let i = start; i < Math.min(ROWS, start + rowsPerWrite); i++) block += rowText(i);
      writeSync(fd, block);
    }
  } finally {
    closeSync(fd);
  }
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

it(
  'streams a file of more than 50 MB with bounded heap use',
  async () => {
    const fileBytes = statSync(path).size;
    expect(fileBytes).toBeGreaterThan(50 * 1024 * 1024);

    const baseline = process.memoryUsage().heapUsed;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }, 2);
    const data = await loadCsv(path, { label: 'kind', dtype: 'float64' }).finally(() => clearInterval(sampler));
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    const growth = peak - baseline;
    console.log(`csv stream: ${(fileBytes / 2 ** 20).toFixed(1)} MiB file, peak heap growth ${(growth / 2 ** 20).toFixed(1)} MiB`);

    expect(data.x.shape).toEqual([ROWS, 8]);
    expect(data.y.length).toBe(ROWS);
    expect(data.featureNames).toEqual(['id', 'a', 'b', 'c', 'd', 'e', 'f', 'const']);
    expect(data.classes).toEqual(['alpha', 'beta, with comma', 'gamma "quoted"']);
    for (const i of [0, 1, 2, 12_345, 349_999, ROWS - 2, ROWS - 1]) {
      const expected = rowValues(i);
      expected[4] = Number(expected[4].toFixed(6));
      expect(Array.from(data.x.data.subarray(i * 8, i * 8 + 8))).toEqual(expected);
      expect(data.y[i]).toBe(i % 3);
    }
    let sumOfIds = 0;
    for (let i = 0; i < ROWS; i++) sumOfIds += data.x.data[i * 8];
    expect(sumOfIds).toBe((ROWS * (ROWS - 1)) / 2);

    // A whole-file string alone would be ≥ fileBytes of heap and an array of row arrays several
    // times that; the streaming loader holds a chunk of text and the fields of one record.
    expect(growth).toBeLessThan(fileBytes / 4);
  },
  120_000,
);
