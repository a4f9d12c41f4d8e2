// The MPI world of this process: init, finalize, and what happens at exit.
import { physicalCores, setThreads } from '../backend';
import { BlaspropError } from '../errors';
import { mpiBinding } from './binding';

/** This process's place in the MPI job, as `distributed.init()` returns it. */
export interface World {
  /** This process's rank, 0 … size − 1. */
  readonly rank: number;
  /** The number of processes in the job. */
  readonly size: number;
  /** MPI_Get_processor_name: the host this rank runs on. */
  readonly processorName: string;
  /** The thread support MPI granted: `serialized` or `multiple` (training calls MPI from a worker thread). */
  readonly threadLevel: string;
  /** MPI_Get_library_version. */
  readonly library: string;
}

let world: World | undefined;
let finalized = false;

/** An error of the MPI module (or of a training step's gradient average) as a BlaspropError. */
export function asBlaspropError(e: unknown): BlaspropError {
  return e instanceof BlaspropError ? e : new BlaspropError(e instanceof Error ? e.message : String(e));
}

/** Runs a call of the MPI module; its errors become BlaspropErrors. */
export function mpiCall<R>(call: () => R): R {
  try {
    return call();
  } catch (e) {
    throw asBlaspropError(e);
  }
}

/**
 * At exit: MPI_Finalize after a clean exit; after a failure (exit code ≠ 0, an uncaught error),
 * MPI_Abort, so the other ranks, which may be waiting in a collective for this one, end too
 * instead of hanging.
 */
function onExit(code: number): void {
  if (finalized) return;
  finalized = true;
  const mpi = mpiBinding();
  if (code !== 0) mpi.abort(code);
  else mpi.finalize();
}

/**
 * Ranks on one host share its cores: unless OPENBLAS_NUM_THREADS or OMP_NUM_THREADS says
 * otherwise, each rank gets physical cores / local ranks BLAS threads (at least one).
 */
function shareCores(): void {
  const local = Number(process.env.OMPI_COMM_WORLD_LOCAL_SIZE ?? process.env.MPI_LOCALNRANKS ?? '');
  if (!(local > 1) || process.env.OPENBLAS_NUM_THREADS !== undefined || process.env.OMP_NUM_THREADS !== undefined) return;
  setThreads(Math.max(1, Math.floor(physicalCores() / local)));
}

/**
 * Joins the MPI job (MPI_Init_thread with MPI_THREAD_SERIALIZED, checking what was granted) and
 * returns this process's rank and the job's size. Idempotent: later calls return the same object.
 * Run the script under `mpirun -np N node train.js`; without mpirun it is a job of one.
 * @throws BackendError when the MPI module is not built (the message says how to get it);
 *   BlaspropError when MPI fails or was finalized.
 */
export function init(): World {
  if (world) return world;
  if (finalized) throw new BlaspropError('distributed.init(): MPI was finalized in this process and cannot be initialized again');
  const mpi = mpiBinding();
  world = Object.freeze({ ...mpiCall(() => mpi.init()) });
  process.on('exit', onExit);
  shareCores();
  return world;
}

/** MPI_Finalize; also done at process exit. Call it on every rank once training is over. */
export function finalize(): void {
  if (!world || finalized) return;
  finalized = true;
  process.off('exit', onExit);
  mpiCall(() => mpiBinding().finalize());
}

/** Rank 0's value of a number, on every rank (for choices that must agree, such as a random seed). */
export function rootValue(value: number): number {
  const cell = Float64Array.of(value);
  mpiCall(() => mpiBinding().broadcast(cell, 0));
  return cell[0]!;
}

/** Whether `value` is the object `init()` returned, and MPI is still up. */
export function worldState(value: unknown): 'live' | 'finalized' | 'other' {
  if (world === undefined || value !== world) return 'other';
  return finalized ? 'finalized' : 'live';
}
