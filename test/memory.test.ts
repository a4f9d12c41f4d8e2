// Memory a network owns comes back without help: the parameter arrays and the workspace are held by
// the wrapper object as ordinary JavaScript properties (native/napi/network_wrap.h), so the garbage
// collector reclaims them with it — also in a synchronous loop, where N-API finalizers never get a
// turn of the event loop. Each case runs in a fresh process without --expose-gc.
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { backendInfo } from '../lib';

interface Samples {
  start: number;
  samples: number[];
  perNetworkMB: number;
}

async function run(mode: 'fit-sync' | 'create-drop', count: number, blas = ''): Promise<Samples> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', path.join('test', 'helpers', 'memory-loop.ts'), mode, String(count)], {
    cwd: path.resolve(__dirname, '..'), encoding: 'utf8', env: { ...process.env, BLASPROP_BLAS: blas },
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Samples;
}

// Both product engines: a oneDNN network's primitives stay with its C++ object until the finalizer
// runs, so whatever else the engine holds per network would pile up here (its scratchpads did: 0.6 MB
// each, +232 MB over 300 networks, before they moved to one arena per thread).
const engines = backendInfo().blas?.onednn ? ['openblas', 'onednn'] : ['openblas'];

it.each(engines)('a synchronous create + fitSync loop of 200 networks of 784-512-10 on %s grows RSS by far less than their buffers, and levels off', async (blas) => {
  const r = await run('fit-sync', 200, blas);
  const growth = Math.max(...r.samples) - r.start;
  const lateGrowth = Math.max(...r.samples.slice(5)) - r.samples[1]!;
  console.log(`200 × fitSync on ${blas}: RSS ${r.start.toFixed(0)} → peak ${(r.start + growth).toFixed(0)} MB (after 40: ${r.samples[1]!.toFixed(0)}, most after 120: ${(r.samples[1]! + lateGrowth).toFixed(0)}); the networks' buffers total ${(200 * r.perNetworkMB).toFixed(0)} MB`);
  // Kept alive until the event loop turned, the buffers alone would add 200 × 6.2 MB ≈ 1.2 GB.
  expect(growth).toBeLessThan(250);
  // A per-network leak of 0.6 MB would add about 80 MB between the 40th and the last network.
  expect(lateGrowth).toBeLessThan(40);
});

it('10,000 networks built, used and dropped keep memory flat', async () => {
  const r = await run('create-drop', 10_000);
  const first = r.samples[0]!;
  const late = Math.max(...r.samples.slice(1));
  console.log(`10,000 networks: RSS ${r.start.toFixed(0)} MB at start, ${first.toFixed(0)} MB after 1,000, at most ${late.toFixed(0)} MB after; ${r.perNetworkMB.toFixed(2)} MB of buffers each`);
  // Leaked, the buffers would grow RSS by 9,000 × 0.13 MB ≈ 1.1 GB between the samples.
  expect(late - first).toBeLessThan(100);
});
