// One data-parallel fit, as the training loop sees it: the agreements between ranks (the shape of
// the fit, steps per epoch, chunk sizes and stopping, epoch sums) and the start state, rank 0's.
// The gradient average of every step happens in native code (the reducer External, passed with
// each training call); everything here is a few numbers per chunk or per epoch, on the main thread.
import { ConfigError } from '../errors';
import type { SharedState } from '../fit-types';
import { Rng, seedState } from '../rng';
import { mpiBinding, type MpiBinding } from './binding';
import { mpiCall, type World } from './world';

/** What each rank trains with, checked to be the same on every rank before anything changes. */
export interface FitShape {
  parameters: number;
  bytesPerValue: number;
  epochs: number;
  hasValidation: boolean;
  /** This rank's steps per epoch; the fit takes the minimum over ranks. Absent for a streamed fit (the streams decide). */
  steps?: number;
  /** Σ w of this rank's training rows (their count without weights); the sum over ranks must be > 0. Absent for a streamed fit. */
  weight?: number;
}

/** What the ranks agreed on for one chunk of a streamed fit (agreeOnStreamChunk). */
export interface StreamChunkAgreement {
  /** Some rank's abort signal fired: nobody trains the chunk. */
  stop: boolean;
  /** A rank whose stream failed (its batch was bad or its source threw), or -1. Nobody trains the chunk. */
  failedRank: number;
  /** Steps every rank trains: the fewest any rank has. Fewer than asked: a stream ended, and so does the epoch. */
  steps: number;
  /** Steps of the next chunk: the fewest any rank asks for. */
  nextSteps: number;
}

/** Mixes the rank into a shared draw (not a multiple of splitmix32's increment, so the streams do not overlap). */
const RANK_STREAM = 0x632be5ab;

export class DataParallel {
  readonly rank: number;
  readonly size: number;
  /** What the training calls pass to the native step: the reducer and whether it overlaps backward. */
  readonly trainExtras: { reducer: object; overlap: boolean };
  private readonly mpi: MpiBinding;
  private readonly scratch = new Float64Array(4);

  constructor(world: World, overlap: boolean) {
    this.mpi = mpiBinding();
    this.rank = world.rank;
    this.size = world.size;
    this.trainExtras = { reducer: mpiCall(() => this.mpi.reducer()), overlap };
  }

  /**
   * Checks that every rank runs the same fit (parameters, dtype, epochs, validation on or off) and
   * returns the steps per epoch, the minimum over ranks: with unequal shards the rows past it are
   * left out of that epoch. ConfigError on every rank when they disagree, so no rank hangs.
   */
  agreeOnShape(shape: FitShape): number {
    const facts = [shape.parameters, shape.bytesPerValue, shape.epochs, shape.hasValidation ? 1 : 0, shape.steps ?? 1];
    const low = Float64Array.from(facts);
    const high = Float64Array.from(facts);
    mpiCall(() => this.mpi.allreduce(low, 'min'));
    mpiCall(() => this.mpi.allreduce(high, 'max'));
    const names = ['parameter count', 'dtype', 'epochs', 'validation data (given on some ranks only)'];
    names.forEach((name, k) => {
      if (low[k] !== high[k]) throw new ConfigError(`distributed fit: the ranks disagree on the ${name}: ${low[k]} to ${high[k]}; every rank must run the same fit`);
    });
    if (low[4]! < 1) throw new ConfigError('distributed fit: a rank has no training rows');
    const weight = Float64Array.of(shape.weight ?? 1);
    mpiCall(() => this.mpi.allreduce(weight, 'sum'));
    if (!(weight[0]! > 0)) throw new ConfigError('distributed fit: sampleWeight × classWeight gives every row of every rank the weight 0; at least one weight must be > 0');
    return low[4]!;
  }

  /**
   * The denominators of the steps' gradient means (TrainCall.stepDenominators), in place: each step's
   * Σ w on this rank becomes Σ w over every rank ÷ ranks. The reducer averages Σ_i w_i ∂L_i / that
   * over the ranks, which is the weighted mean over all rows of the step, as one process training
   * the ranks' batches together would take it — also when the ranks' batches differ in size or weight.
   */
  stepDenominators(sums: Float64Array): void {
    mpiCall(() => this.mpi.allreduce(sums, 'sum'));
    for (let k = 0; k < sums.length; k++) sums[k] = sums[k]! / this.size;
  }

  /**
   * Rank 0's weights, optimizer state, optimizer step and generators into every rank; then each
   * rank draws its own shuffle stream and dropout stream from the shared generators and its rank.
   * Returns this rank's shuffler for the fit.
   */
  shareState(state: SharedState): Rng {
    for (const array of [...state.arrays, state.shuffleRng, state.dropoutRng]) mpiCall(() => this.mpi.broadcast(array, 0));
    const step = Float64Array.of(state.optimizerStep);
    mpiCall(() => this.mpi.broadcast(step, 0));
    state.optimizerStep = step[0]!;
    const shared = new Rng(state.shuffleRng);
    const shuffleSeed = (shared.nextU32() ^ Math.imul(this.rank, RANK_STREAM)) >>> 0;
    state.dropoutRng.set(seedState((shared.nextU32() ^ Math.imul(this.rank, RANK_STREAM)) >>> 0));
    return new Rng(shuffleSeed);
  }

  /** One agreement per chunk: stop when any rank's signal fired; otherwise the fewest steps any rank asks for. */
  agreeOnChunk(stop: boolean, steps: number): { stop: boolean; steps: number } {
    const values = this.scratch;
    values[0] = stop ? -1 : 0;
    values[1] = steps;
    mpiCall(() => this.mpi.allreduce(values, 'min'));
    return { stop: values[0]! < 0, steps: values[1]! };
  }

  /**
   * One agreement per chunk of a streamed fit, after every rank filled its chunk of the same number
   * of steps from its own stream (`available` of them; fewer when its stream ended): whether to stop
   * or fail, how many steps everyone trains, and the size of the next chunk. Then, unless it stops,
   * `stepSums` (Σ w of each of the `steps` steps, on this rank) become the steps' denominators.
   */
  agreeOnStreamChunk(stop: boolean, failed: boolean, available: number, wanted: number, stepSums: Float64Array): StreamChunkAgreement {
    const values = this.scratch;
    values[0] = stop ? -1 : 0;
    values[1] = failed ? -(this.rank + 1) : 0;
    values[2] = available;
    values[3] = wanted;
    mpiCall(() => this.mpi.allreduce(values, 'min'));
    const agreement = { stop: values[0]! < 0, failedRank: values[1]! < 0 ? -values[1]! - 1 : -1, steps: values[2]!, nextSteps: values[3]! };
    if (!agreement.stop && agreement.failedRank < 0 && agreement.steps > 0) this.stepDenominators(stepSums.subarray(0, agreement.steps));
    return agreement;
  }

  /** Sums across ranks, in place. */
  sum(values: Float64Array): void {
    mpiCall(() => this.mpi.allreduce(values, 'sum'));
  }
}
