// Facts about the machine and the software under test, for the report's header.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { physicalCores } from '../lib/index';

export interface MachineInfo {
  date: string;
  cpuModel: string;
  logicalCores: number;
  physicalCores: number;
  memoryGB: number;
  os: string;
  virtualized: boolean;
  loadAverageAtStart: number[];
  env: Record<string, string>;
  versions: Record<string, string>;
}

const ROOT = path.resolve(__dirname, '..');

function packageVersion(dir: string): string {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version as string;
  } catch {
    return 'not installed';
  }
}

function compilerVersion(): string {
  try {
    return execFileSync(process.env.CXX ?? 'g++', ['--version'], { encoding: 'utf8' }).split('\n')[0]!.trim();
  } catch {
    return 'unavailable';
  }
}

export function machineInfo(): MachineInfo {
  let cpuinfo = '';
  try {
    cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    // not Linux
  }
  const env: Record<string, string> = {};
  for (const key of ['OPENBLAS_CORETYPE', 'OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'BLASPROP_BACKEND']) {
    env[key] = process.env[key] ?? '(unset)';
  }
  const modules = path.join(ROOT, 'node_modules');
  return {
    date: new Date().toISOString(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    logicalCores: os.availableParallelism(),
    physicalCores: physicalCores(),
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    virtualized: /\bhypervisor\b/.test(cpuinfo),
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
    env,
    versions: {
      node: process.version,
      blasprop: packageVersion(ROOT),
      '@tensorflow/tfjs': packageVersion(path.join(modules, '@tensorflow', 'tfjs')),
      '@tensorflow/tfjs-backend-wasm': packageVersion(path.join(modules, '@tensorflow', 'tfjs-backend-wasm')),
      'brain.js': packageVersion(path.join(modules, 'brain.js')),
      compiler: compilerVersion(),
    },
  };
}
