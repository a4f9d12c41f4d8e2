// The types of the training loop: what it needs from a network (FitTarget, declared here by the
// loop's side, so fit.ts never imports the Network class) and what it returns (History).
import type { Architecture } from './architecture';
import type { FloatArray } from './dtype';
import type { LossStats, TrainCall } from './engine';
import type { EpochLogs } from './fit-options';
import type { FlatTargets, MatrixInput, TargetInput } from './input';
import type { Rng } from './rng';

/** Per-layer numbers of one training step that show vanishing or exploding gradients. */
export interface LayerDiagnostics {
  /** ‖∂L/∂W^l‖₂ */
  weightGradNorm: number;
  /** ‖∂L/∂b^l‖₂ */
  biasGradNorm: number;
  /** Mean of a^l over the batch. */
  activationMean: number;
  /** Standard deviation of a^l over the batch. */
  activationStd: number;
  /** ReLU-family layers: fraction of units that were ≤ 0 for every row of the batch; null otherwise. */
  deadFraction: number | null;
}

/** One history entry. */
export interface EpochRecord extends EpochLogs {
  /** 0-based epoch index within this fit call. */
  epoch: number;
  learningRate: number;
  /** Wall-clock seconds of the epoch's training steps (validation excluded). */
  seconds: number;
  samplesPerSecond: number;
  /** With `diagnostics: true`: statistics of the epoch's last training step, per layer. */
  diagnostics?: LayerDiagnostics[];
}

/** The result of fit. */
export interface History {
  /** One record per completed epoch. */
  epochs: EpochRecord[];
  /** Training loss per epoch (the same numbers as epochs[i].loss). */
  loss: number[];
  /** Why training ended: all epochs ran, early stopping, or the abort signal. */
  stopReason: 'completed' | 'early-stopping' | 'aborted';
  /** With early stopping: the epoch whose weights the network holds when restoreBestWeights is on. */
  bestEpoch?: number;
}

/** Features and targets converted to the network's dtype. */
export interface FlatData {
  X: FloatArray;
  rows: number;
  targets: FlatTargets;
  /** Optional: a weight per row (lib/row-weights.ts), as streamed batches carry them. */
  weights?: FloatArray | null;
}

/** The state a data-parallel fit starts from, rank 0's on every rank: the live arrays, and the step count to set. */
export interface SharedState {
  /** Parameters and optimizer state. */
  arrays: FloatArray[];
  /** The network's shuffle and dropout generator states. */
  shuffleRng: Uint32Array;
  dropoutRng: Uint32Array;
  optimizerStep: number;
}

/** What the training loop needs from a network. */
export interface FitTarget {
  readonly architecture: Architecture;
  readonly inputs: number;
  readonly outputs: number;
  /** Which backend trains: it sets how long a chunk of steps may take. */
  readonly backend: 'native' | 'wasm' | 'js';
  /** The generator of the epoch shuffles. */
  readonly shuffler: Rng;
  /** Converts and checks data; `name` prefixes error messages ('' or 'validationData.'). */
  prepareData(x: MatrixInput, y: TargetInput, name: string): FlatData;
  /** Resets optimizer state when the optimizer's settings changed since the last call. */
  prepareOptimizer(stateKey: string): void;
  /** Runs a training call and advances the optimizer step count. */
  trainBatches(call: TrainCall): LossStats;
  trainBatchesAsync(call: TrainCall): Promise<LossStats>;
  evaluateData(data: FlatData): LossStats;
  evaluateDataAsync(data: FlatData): Promise<LossStats>;
  /** Runs a user callback; read-only calls on the network are allowed inside it. */
  duringCallback(callback: () => void): void;
  snapshotParams(): FloatArray;
  /** Hands the live training state to `share` (a data-parallel fit's broadcast), then takes its optimizerStep back. */
  shareTrainingState(share: (state: SharedState) => void): void;
  restoreParams(snapshot: FloatArray): void;
}
