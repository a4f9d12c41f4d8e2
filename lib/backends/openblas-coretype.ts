// Picks OpenBLAS's kernels when it cannot: OpenBLAS 0.3.21 (Debian 12's, and the one inside the
// prebuilt binary) does not recognise CPUs released after it (Sapphire and Emerald Rapids, Zen 4
// and 5 among them) and falls back to its Prescott (SSE3) kernels, several times slower. OpenBLAS
// reads OPENBLAS_CORETYPE once, when the library is loaded, so when the variable is unset it is set
// here, before the addon loads, from the instruction sets the CPU reports. A value the user set is
// never changed.
import * as fs from 'node:fs';

/** The OpenBLAS core type for a set of x86 CPU flags (from /proc/cpuinfo), or null to let OpenBLAS choose. */
export function coretypeForFlags(flags: ReadonlySet<string>): string | null {
  if (['avx512f', 'avx512bw', 'avx512dq', 'avx512vl', 'avx512cd'].every((f) => flags.has(f))) return 'SKYLAKEX';
  if (flags.has('avx2') && flags.has('fma')) return 'HASWELL';
  return null;
}

/** Sets OPENBLAS_CORETYPE on Linux x64 when it is unset; returns the value set, or null. */
export function selectOpenblasCoretype(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.OPENBLAS_CORETYPE !== undefined || process.platform !== 'linux' || process.arch !== 'x64') return null;
  let cpuinfo: string;
  try {
    cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return null;
  }
  const line = cpuinfo.split('\n').find((l) => l.startsWith('flags'));
  if (!line) return null;
  const coretype = coretypeForFlags(new Set(line.slice(line.indexOf(':') + 1).trim().split(/\s+/)));
  if (coretype !== null) env.OPENBLAS_CORETYPE = coretype;
  return coretype;
}
