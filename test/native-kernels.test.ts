// Builds and runs native/test/kernel_tests.cc: the C++ kernels tested without Node, including the
// promise that training steps make no heap allocation once the workspace is reserved.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

it('native kernels: no heap allocation per training step; a step equals plain loops; loops split over threads give the same bits', () => {
  const dir = mkdtempSync(join(tmpdir(), 'blasprop-kernels-'));
  try {
    const openblas = execFileSync('pkg-config', ['--cflags', '--libs', 'openblas'], { encoding: 'utf8' }).trim().split(/\s+/);
    const binary = join(dir, 'kernel_tests');
    execFileSync('g++', ['-std=c++17', '-O2', '-fopenmp', '-Wall', '-Wno-mismatched-new-delete', 'native/test/kernel_tests.cc', ...openblas, '-o', binary]);
    const output = execFileSync(binary, { encoding: 'utf8' });
    expect(output).toContain('kernel checks: 0 failed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
