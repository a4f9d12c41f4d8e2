// The facts about the machine that go into a training report next to the timings.
import * as os from 'node:os';

import { physicalCores } from '../backend';

/** CPU, memory, OS and Node.js version of this machine. */
export interface MachineInfo {
  /** CPU model name as the OS reports it. */
  cpu: string;
  /** Logical processors (hyper-threads counted). */
  logicalCores: number;
  /** Physical cores (what blasprop uses as its default BLAS thread count). */
  physicalCores: number;
  /** Total memory in GiB. */
  memoryGiB: number;
  /** e.g. "Linux 6.1.0 x64". */
  os: string;
  /** e.g. "v20.19.0". */
  node: string;
}

/** Collects {@link MachineInfo} for this machine. */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    logicalCores: os.availableParallelism(),
    physicalCores: physicalCores(),
    memoryGiB: os.totalmem() / 2 ** 30,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}
