// OPENBLAS_CORETYPE is chosen from the CPU's instruction sets when unset (OpenBLAS 0.3.21 falls back
// to its Prescott kernels on CPUs newer than it), and never overrides a value the user set.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { coretypeForFlags, selectOpenblasCoretype } from '../lib/backends/openblas-coretype';

const root = path.resolve(__dirname, '..');
const childCoretype = (env: NodeJS.ProcessEnv): string => {
  const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', "const { backendInfo } = require('./lib'); process.stdout.write(backendInfo().blas.coreType)"], { cwd: root, env, encoding: 'utf8' });
  expect(child.status, child.stderr).toBe(0);
  return child.stdout;
};

describe('OPENBLAS_CORETYPE', () => {
  it('maps instruction sets to the best kernels OpenBLAS 0.3.21 has for them', () => {
    expect(coretypeForFlags(new Set(['avx2', 'fma', 'avx512f', 'avx512bw', 'avx512dq', 'avx512vl', 'avx512cd', 'amx_bf16']))).toBe('SKYLAKEX');
    expect(coretypeForFlags(new Set(['avx2', 'fma', 'avx512f']))).toBe('HASWELL');
    expect(coretypeForFlags(new Set(['avx2', 'fma']))).toBe('HASWELL');
    expect(coretypeForFlags(new Set(['sse4_2', 'avx']))).toBeNull();
  });

  it('a value the user set is kept', () => {
    const env: NodeJS.ProcessEnv = { OPENBLAS_CORETYPE: 'Haswell' };
    expect(selectOpenblasCoretype(env)).toBeNull();
    expect(env.OPENBLAS_CORETYPE).toBe('Haswell');
  });

  it('unset, the addon loads with the kernels the CPU flags select; set, with the ones asked for', () => {
    const flags = new Set(fs.readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags'))!.split(':')[1]!.trim().split(/\s+/));
    const { OPENBLAS_CORETYPE: _unset, ...env } = process.env;
    const expected = coretypeForFlags(flags);
    const chosen = childCoretype(env);
    if (expected !== null) expect(chosen.toUpperCase()).toBe(expected);
    expect(childCoretype({ ...env, OPENBLAS_CORETYPE: 'Prescott' })).toBe('Prescott');
  });
});
