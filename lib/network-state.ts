// The complete state of a network as plain data: what a model file stores and what loading puts
// back. A leaf module, so persistence can work on it without knowing the Network class.
import type { NetworkOptions } from './architecture';
import type { FloatArray } from './dtype';

/** The trainable and random state of a network, everything but its architecture. */
export interface TrainingState {
  /** Flat parameters W^1 b^1 … W^L b^L, W^l row-major [out × in]. */
  params: FloatArray;
  /** Optimizer state (SGD's velocity, Adam's first moment, RMSprop's momentum buffer), same layout as params. */
  optM: FloatArray;
  /** Optimizer state (Adam's second moment, RMSprop's mean square, Adagrad's sum of squares), same layout as params. */
  optV: FloatArray;
  /** Optimizer state (centered RMSprop's mean gradient), same layout as params. */
  optG: FloatArray;
  /** xoshiro128** state of the dropout masks. */
  dropoutRng: Uint32Array;
  /** xoshiro128** state of the epoch shuffles. */
  shuffleRng: Uint32Array;
  /** Optimizer steps taken with the current optimizer settings (Adam's t). */
  optimizerStep: number;
  /** Which optimizer settings optM and optV belong to; null before the first step. */
  optimizerKey: string | null;
}

/** Everything that defines a network: the options it was built from (seed included) and its training state. */
export interface NetworkState extends TrainingState {
  options: NetworkOptions;
  seed: number;
}
