// In CI the tests must run against the native addon and the WebAssembly engine: a missing or broken
// build fails here (and in every cross-backend test) instead of silently testing only the
// TypeScript backend.
import { describe, expect, it } from 'vitest';
import { backendInfo, Network } from '../lib';
import { loadWasm } from '../lib/backends/wasm';

describe('native addon', () => {
  it('loads, and auto picks it', () => {
    const info = backendInfo();
    expect(info.loadError).toBeUndefined();
    expect(info.backend).toBe('native');
    expect(info.blas?.vendor).toBe('OpenBLAS');
    expect(info.blas?.threads).toBeGreaterThanOrEqual(1);
    expect(new Network({ inputs: 2, layers: [{ units: 1 }], loss: 'mse' }).backend).toBe('native');
  });
});

describe('WebAssembly engine', () => {
  it('loads (dist/blasprop.wasm, npm run build:wasm), and backend: wasm takes it', () => {
    const wasm = loadWasm();
    expect('error' in wasm ? wasm.error.message : '').toBe('');
    expect(new Network({ inputs: 2, layers: [{ units: 1 }], loss: 'mse', backend: 'wasm' }).backend).toBe('wasm');
  });
});
