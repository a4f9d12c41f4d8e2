// The linux-arm64 prebuild (cross-compiled by `npm run build:prebuild:arm64`) on an arm64 Node:
// Debian's arm64 nodejs 18 unpacked into build/arm64-sysroot (`npm run sysroot:arm64`), run by
// qemu-aarch64-static. The binary is self-contained like the x64 one, loads, trains XOR, and a
// float64 run of 20 Adam steps agrees with the same run on the x64 prebuild within 1e-12 relative.
//
// Needs what .ci/run builds first: dist/ (npm run build:ts), prebuilds/linux-x64 and
// prebuilds/linux-arm64 (npm run build:prebuild, npm run build:prebuild:arm64) and the sysroot
// (npm run sysroot:arm64), plus Debian's qemu-user-static and binutils-aarch64-linux-gnu.
// A missing or stale precondition fails with that message; nothing is skipped.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const repo = path.resolve(__dirname, '..');
const arm64Binary = path.join(repo, 'prebuilds', 'linux-arm64', 'blasprop.glibc.node');
const x64Binary = path.join(repo, 'prebuilds', 'linux-x64', 'blasprop.glibc.node');
const sysroot = path.join(repo, 'build', 'arm64-sysroot', 'root');
const arm64Node = path.join(sysroot, 'usr', 'bin', 'node');
const qemu = '/usr/bin/qemu-aarch64-static';
const xorScript = path.join(__dirname, 'fixtures', 'arm64', 'xor.cjs');
const trainScript = path.join(__dirname, 'fixtures', 'package', 'train.cjs');
const dist = path.join(repo, 'dist', 'cjs');

interface XorReport {
  arch: string;
  node: string;
  info: { backend: string; addonPath?: string; loadError?: string; blas?: { vendor: string; config: string; coreType: string } };
  xor: { loss: number; predictions: number[] };
}
interface TrainReport {
  addonPath: string;
  loss: number[];
  layers: { weight: string; bias: string }[];
}

function run(command: string, args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(command, args, {
    cwd: repo,
    encoding: 'utf8',
    timeout: 170_000,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1', ...env },
  });
  return { status: r.status, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ? `\n${r.error.message}` : ''}` };
}

function ok(command: string, args: string[], env: Record<string, string> = {}): string {
  const r = run(command, args, env);
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function newest(dir: string): number {
  return Math.max(...fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => fs.statSync(path.join(e.parentPath, e.name)).mtimeMs));
}

function preconditions(): void {
  const problems: string[] = [];
  const sources = Math.max(newest(path.join(repo, 'native', 'kernels')), newest(path.join(repo, 'native', 'napi')), fs.statSync(path.join(repo, 'binding.gyp')).mtimeMs);
  for (const [file, fix] of [[arm64Binary, 'npm run build:prebuild:arm64'], [x64Binary, 'npm run build:prebuild']] as const) {
    if (!fs.existsSync(file)) problems.push(`${path.relative(repo, file)} is missing (${fix})`);
    else if (fs.statSync(file).mtimeMs < sources) problems.push(`${path.relative(repo, file)} is older than the native sources (${fix})`);
  }
  if (!fs.existsSync(path.join(dist, 'index.js'))) problems.push('dist/cjs is missing (npm run build:ts)');
  if (!fs.existsSync(arm64Node)) problems.push(`${path.relative(repo, arm64Node)} is missing (npm run sysroot:arm64)`);
  if (!fs.existsSync(qemu)) problems.push(`${qemu} is missing (apt-get install qemu-user-static)`);
  if (problems.length) throw new Error(`arm64.test preconditions: ${problems.join('; ')}. CI's .ci/run does all of these.`);
}

const floats = (hex: string) => new Float64Array(new Uint8Array(Buffer.from(hex, 'hex')).buffer);

let arm64: XorReport;
let arm64Run: TrainReport;
let x64Run: TrainReport;

beforeAll(() => {
  preconditions();
  const onArm64 = (script: string, ...args: string[]) => ok(qemu, ['-L', sysroot, arm64Node, script, ...args], { BLASPROP_BINARY_PATH: arm64Binary });
  arm64 = JSON.parse(onArm64(xorScript, dist)) as XorReport;
  // 256 rows in batches of 64 for 5 epochs: 20 Adam steps.
  arm64Run = JSON.parse(onArm64(trainScript, dist, 'float64', '256')) as TrainReport;
  x64Run = JSON.parse(ok(process.execPath, [trainScript, dist, 'float64', '256'], { BLASPROP_BINARY_PATH: x64Binary })) as TrainReport;
}, 180_000);

describe('linux-arm64 prebuild', () => {
  it('is an AArch64 shared object that needs only libc, libm, libgcc_s and the loader, exports no BLAS, and is stripped', () => {
    const header = ok('aarch64-linux-gnu-readelf', ['-h', arm64Binary]);
    expect(header).toMatch(/Machine:\s+AArch64/);
    const dynamic = ok('aarch64-linux-gnu-readelf', ['-d', arm64Binary]);
    const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]!);
    expect(needed.filter((l) => !/^(libc|libm|libpthread|libdl|librt|libgcc_s)\.so|^ld-linux-aarch64/.test(l))).toEqual([]);
    const exported = ok('aarch64-linux-gnu-nm', ['-D', '--defined-only', arm64Binary]);
    expect(exported).toMatch(/\bnapi_register_module_v1\b/);
    expect(exported).not.toMatch(/\b(cblas_\w+|openblas_\w+|gotoblas\w*|[sd]gemm_?)\b/);
    expect(ok('aarch64-linux-gnu-readelf', ['-S', '-W', arm64Binary]), 'stripped: no .symtab').not.toMatch(/\.symtab/);
    const versions = [...ok('aarch64-linux-gnu-objdump', ['-T', arm64Binary]).matchAll(/GLIBC_([0-9.]+)/g)].map((m) => m[1]!);
    const floor = versions.sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).at(-1)!;
    console.log(`linux-arm64 prebuild: ${(fs.statSync(arm64Binary).size / 1e6).toFixed(2)} MB, needs ${needed.join(' ')}, glibc >= ${floor}`);
    // Debian 12 has glibc 2.36, Ubuntu 22.04 2.35, Amazon Linux 2023 2.34.
    expect(floor.localeCompare('2.34', 'en', { numeric: true })).toBeLessThanOrEqual(0);
  });

  it('loads in Debian arm64 Node 18 under qemu, with OpenBLAS inside, and trains XOR', () => {
    expect(arm64.arch).toBe('arm64');
    expect(arm64.node).toMatch(/^v18\./);
    expect(arm64.info.loadError).toBeUndefined();
    expect(arm64.info.backend).toBe('native');
    expect(arm64.info.addonPath).toBe(arm64Binary);
    expect(arm64.info.blas?.vendor).toBe('OpenBLAS');
    expect(arm64.info.blas?.config).toMatch(/armv8/i);
    expect(arm64.xor.loss).toBeLessThan(0.01);
    expect(arm64.xor.predictions).toEqual([0, 1, 1, 0]);
  });

  it('float64: weights after 20 Adam steps agree with the x64 prebuild within 1e-12 relative', () => {
    expect(arm64Run.addonPath).toBe(arm64Binary);
    expect(x64Run.addonPath).toBe(x64Binary);
    expect(arm64Run.loss.at(-1)!).toBeLessThan(arm64Run.loss[0]!);
    expect(arm64Run.layers).toHaveLength(x64Run.layers.length);
    let worst = 0;
    let identical = 0;
    let count = 0;
    arm64Run.layers.forEach((layer, l) => {
      for (const part of ['weight', 'bias'] as const) {
        const a = floats(layer[part]);
        const b = floats(x64Run.layers[l]![part]);
        expect(a.length).toBe(b.length);
        // Relative to the element, with a floor of 1e-6 of the layer's largest weight for entries near zero.
        const scale = Math.max(...Array.from(b, Math.abs));
        a.forEach((v, k) => {
          const w = b[k]!;
          worst = Math.max(worst, Math.abs(v - w) / Math.max(Math.abs(v), Math.abs(w), 1e-6 * scale));
          identical += v === w ? 1 : 0;
          count++;
        });
      }
    });
    console.log(`arm64 vs x64 float64 after 20 steps: largest relative weight difference ${worst.toExponential(2)}; ${identical}/${count} bit-identical`);
    expect(worst).toBeLessThan(1e-12);
    arm64Run.loss.forEach((l, i) => expect(Math.abs(l - x64Run.loss[i]!) / l).toBeLessThan(1e-12));
  });
});
