// In CI the tests must run against the native addon: a missing or broken build fails here
// (and in every cross-backend test) instead of silently testing only the TypeScript backend.
import { describe, expect, it } from 'vitest';
import { backendInfo, Network } from '../lib';

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
