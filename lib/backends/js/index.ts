// The pure-TypeScript backend: the same semantics as the native engine (native/kernels/), written as
// loops over typed arrays. It needs no compiled addon, and serves as the baseline in benchmarks.

import type { Engine, EngineNetwork, EngineSpec } from '../../engine';
import { JsNetwork } from './js-network';

export { JsNetwork } from './js-network';

/**
 * The TypeScript engine. Networks it creates train on the main thread: trainBatchesAsync runs the
 * work synchronously and returns a settled promise (the façade chunks long fits so the event loop
 * keeps turning).
 */
export const jsEngine: Engine = {
  name: 'js',
  create(spec: EngineSpec): EngineNetwork {
    return new JsNetwork(spec);
  },
};
