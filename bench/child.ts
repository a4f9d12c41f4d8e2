// Running a bench script in its own Node process (with tsx) and collecting the JSON it writes.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface ChildOutcome<T> {
  /** The parsed result file, when the child wrote one (also after a crash or timeout, if partial). */
  result?: T;
  /** Why the child failed: exit code, signal, timeout, or no result file. */
  error?: string;
  /** The end of the child's stderr, for error reports. */
  stderrTail: string;
  /** Share of all CPUs busy outside this child while it ran (from /proc/stat), 0..1; null off Linux. */
  otherLoad: number | null;
  wallSeconds: number;
}

/** Busy and total jiffies of all CPUs, from /proc/stat. */
function cpuTimes(): { busy: number; total: number } | null {
  try {
    const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    const idle = fields[3]! + (fields[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

const CLOCK_TICKS = 100;  // USER_HZ on Linux

/**
 * Runs `node --import tsx <script> ...args` from the repository root. The child writes its JSON
 * result to the file in BENCH_RESULT_FILE and reports its own CPU seconds in `cpuSeconds`.
 */
export async function runChild<T extends { cpuSeconds?: number }>(script: string, args: string[], timeoutSeconds: number): Promise<ChildOutcome<T>> {
  const resultFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'blasprop-bench-')), 'result.json');
  const root = path.resolve(__dirname, '..');
  const before = cpuTimes();
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: root,
    env: { ...process.env, BENCH_RESULT_FILE: resultFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stdout.on('data', () => {});  // peers print banners; results come through the file
  child.stderr.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    stderr = (stderr + text).slice(-4000);
    process.stderr.write(text);
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutSeconds * 1000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
  clearTimeout(timer);
  const wallSeconds = (performance.now() - started) / 1000;
  const after = cpuTimes();

  const outcome: ChildOutcome<T> = { stderrTail: stderr.trim().split('\n').slice(-8).join('\n'), otherLoad: null, wallSeconds };
  if (fs.existsSync(resultFile)) {
    try {
      outcome.result = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as T;
    } catch (e) {
      outcome.error = `unreadable result file: ${String(e)}`;
    }
  }
  fs.rmSync(path.dirname(resultFile), { recursive: true, force: true });
  if (timedOut) outcome.error = `timed out after ${timeoutSeconds} s (killed)`;
  else if (code !== 0) outcome.error = `exited with ${signal ? `signal ${signal}` : `code ${code}`}`;
  else if (!outcome.result) outcome.error = 'wrote no result';
  if (before && after && outcome.result?.cpuSeconds !== undefined) {
    const busy = (after.busy - before.busy) / CLOCK_TICKS;
    const capacity = (after.total - before.total) / CLOCK_TICKS;
    outcome.otherLoad = capacity > 0 ? Math.max(0, (busy - outcome.result.cpuSeconds) / capacity) : null;
  }
  return outcome;
}
