// Loading the optional MPI module, build/Release/blasprop_mpi.node (native/mpi/), built by
// `npm run build:native` when CMake finds an MPI library. It is never part of the prebuilds.
import * as path from 'node:path';
import { packageRoot } from '../backends/native';
import { BackendError } from '../errors';

/** The MPI module's exports (native/mpi/mpi_addon.cc). */
export interface MpiBinding {
  init(): { rank: number; size: number; processorName: string; threadLevel: string; library: string };
  finalize(): void;
  /** MPI_Abort: ends every process of the job. */
  abort(code: number): void;
  /** In place across all processes, on the module's control communicator. */
  allreduce(values: Float64Array, op: 'sum' | 'min' | 'max'): void;
  /** The bytes of root's array into every process's array, in place. */
  broadcast(array: ArrayBufferView, root: number): void;
  /** The External carrying the gradient reducer for training calls. */
  reducer(): object;
  /** Seconds the training thread spent starting and finishing gradient averages since the last call, and the steps. */
  reducerTimes(): { steps: number; startSeconds: number; finishSeconds: number };
}

/** How to get MPI support, for the error text. */
export const MPI_FIXES =
  'Install Open MPI (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev; Fedora: dnf install openmpi-devel; ' +
  "macOS: brew install open-mpi), then rebuild the native part from source with 'npm run build:native' " +
  '(cmake-js; CMake finds MPI with FindMPI and builds build/Release/blasprop_mpi.node).';

let binding: MpiBinding | undefined;

/** The MPI module; BackendError, saying how to get it, when it is not built or does not load. */
export function mpiBinding(): MpiBinding {
  if (binding) return binding;
  let file = 'build/Release/blasprop_mpi.node';
  try {
    file = path.join(packageRoot(), 'build', 'Release', 'blasprop_mpi.node');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    binding = require(file) as MpiBinding;
    return binding;
  } catch (e) {
    const reason = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new BackendError(`distributed training needs the optional MPI module ${file}, which could not be loaded (${reason}). ${MPI_FIXES}`);
  }
}
