// Streaming keeps memory bounded, in child processes whose peak RSS is measured: one pass over
// a 1.5 GB stream generated on the fly (500,000 rows × 784 float32) stays under 400 MB, and a CSV
// file four times the heap a process is given trains through csvBatches in little more memory than
// the same process reading only the file's first batch, and far less than loading it whole.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const fixtures = path.join(__dirname, 'fixtures', 'streaming');
const run = (args: string[], nodeArgs: string[] = []) =>
  spawnSync(process.execPath, [...nodeArgs, '--import', 'tsx', ...args], { cwd: path.resolve(__dirname, '..'), encoding: 'utf8', maxBuffer: 1 << 24 });

describe('streaming memory', () => {
  it('one pass over a 1.5 GB generated stream keeps the peak RSS under 400 MB', () => {
    const child = run([path.join(fixtures, 'generated-stream.ts'), '500000']);
    expect(child.status, child.stderr).toBe(0);
    const result = JSON.parse(child.stdout) as { streamedMiB: number; peakRssMiB: number; seconds: number; loss: number };
    console.log(`generated stream: ${result.streamedMiB.toFixed(0)} MiB streamed, peak RSS ${result.peakRssMiB.toFixed(0)} MiB, ${result.seconds.toFixed(1)} s`);
    expect(result.streamedMiB).toBeGreaterThan(1400);
    expect(Number.isFinite(result.loss)).toBe(true);
    expect(result.peakRssMiB).toBeLessThan(400);
  });

  describe('a CSV file larger than the heap limit', () => {
    const HEAP_MIB = 48;
    const FEATURES = 20;
    let dir: string;
    let file: string;
    let rows = 0;
    beforeAll(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'blasprop-csv-heap-'));
      file = path.join(dir, 'big.csv');
      const fd = openSync(file, 'w');
      writeSync(fd, `${Array.from({ length: FEATURES }, (_, j) => `f${j}`).join(',')},label\n`);
      for (let block = 0; block < 160; block++) {
        let text = '';
        for (let i = 0; i < 10_000; i++, rows++) {
          for (let j = 0; j < FEATURES; j++) text += `${(((rows * 31 + j * 17) % 2001) - 1000) / 1000},`;
          text += `${rows % 3}\n`;
        }
        writeSync(fd, text);
      }
      closeSync(fd);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it(`streams through csvBatches under --max-old-space-size=${HEAP_MIB}, in little more memory than one batch, far less than loadCsv`, () => {
      const mib = statSync(file).size / 2 ** 20;
      expect(mib).toBeGreaterThan(4 * HEAP_MIB);
      const streamed = run([path.join(fixtures, 'csv-under-heap-cap.ts'), 'stream', file, String(FEATURES)], [`--max-old-space-size=${HEAP_MIB}`]);
      expect(streamed.status, streamed.stderr).toBe(0);
      const result = JSON.parse(streamed.stdout) as { rows: number; loss: number; peakRssMiB: number };
      console.log(`csvBatches: ${mib.toFixed(0)} MiB file, ${result.rows} rows under a ${HEAP_MIB} MiB heap, peak RSS ${result.peakRssMiB.toFixed(0)} MiB`);
      expect(result.rows).toBe(rows);
      const first = run([path.join(fixtures, 'csv-under-heap-cap.ts'), 'first', file, String(FEATURES)], [`--max-old-space-size=${HEAP_MIB}`]);
      expect(first.status, first.stderr).toBe(0);
      const baseline = (JSON.parse(first.stdout) as { peakRssMiB: number }).peakRssMiB;
      console.log(`the first batch only: peak RSS ${baseline.toFixed(0)} MiB`);
      // What streaming may add: a heap filled up to its cap before the collector runs, the two 4 MiB
      // chunk buffers (lib/stream-batcher.ts) and the allocator's slack (measured: 51–103 MiB); not the file.
      expect(result.peakRssMiB - baseline).toBeLessThan(HEAP_MIB + 8 + 56);
      const loaded = run([path.join(fixtures, 'csv-under-heap-cap.ts'), 'load', file, String(FEATURES)]);
      expect(loaded.status, loaded.stderr).toBe(0);
      const whole = JSON.parse(loaded.stdout) as { rows: number; peakRssMiB: number };
      console.log(`loadCsv of the same file: peak RSS ${whole.peakRssMiB.toFixed(0)} MiB`);
      expect(whole.rows).toBe(rows);
      expect(result.peakRssMiB - baseline).toBeLessThan((whole.peakRssMiB - baseline) / 2);
    });
  });
});
