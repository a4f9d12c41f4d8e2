// `distributed`: data-parallel training on MPI. `init()` joins the job; `fit(x, y, { distributed: world })`
// trains this rank's shard with the gradient averaged across ranks every step.
export { init, finalize } from './world';
export { shardRows } from './shard';
export type { World } from './world';
