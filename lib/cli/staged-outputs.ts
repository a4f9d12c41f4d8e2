// Output files written only after success: each output first goes to a temporary file next to its
// target; when all of them are written, they are renamed over their targets one after another
// (each rename atomic). If anything fails before that, the temporary files are removed and existing
// files are untouched — so a failed or interrupted command never leaves a half-written or
// mismatched model, preprocessing file, report or prediction file behind.
import { randomBytes } from 'node:crypto';
import { access, constants, rename, rm, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

import { CliError, EXIT_USAGE } from './cli-error';

/**
 * Checks before any work that `target` can be written: its directory exists and is writable, and
 * `target` is not a directory. Catches a typo in `--out` before a long training run, not after.
 *
 * @param option - The option that named the file, for the message (`--out`).
 * @throws CliError naming the option and the file.
 */
export async function checkWritableTarget(target: string, option: string): Promise<void> {
  const dir = path.dirname(path.resolve(target));
  const dirStat = await stat(dir).catch(() => null);
  if (dirStat === null || !dirStat.isDirectory()) throw new CliError(`${option} '${target}': directory '${dir}' does not exist`, EXIT_USAGE);
  try {
    await access(dir, constants.W_OK);
  } catch {
    throw new CliError(`${option} '${target}': directory '${dir}' is not writable`, EXIT_USAGE);
  }
  const targetStat = await stat(target).catch(() => null);
  if (targetStat?.isDirectory()) throw new CliError(`${option} '${target}' is a directory; give a file name`, EXIT_USAGE);
}

/** Output files staged as temporary files until {@link StagedOutputs.commit}. */
export class StagedOutputs {
  private readonly files: { temporary: string; target: string }[] = [];

  /**
   * Stages one output: `write` must create the file at the temporary path it is given.
   *
   * @throws whatever `write` throws; the temporary file is then removed.
   */
  async stage(target: string, write: (temporary: string) => Promise<void>): Promise<void> {
    const temporary = path.join(path.dirname(target), `.${path.basename(target).slice(0, 100)}.${process.pid}.${randomBytes(4).toString('hex')}.partial`);
    this.files.push({ temporary, target });
    await write(temporary);
  }

  /** Stages a text file. */
  stageText(target: string, text: string): Promise<void> {
    return this.stage(target, (temporary) => writeFile(temporary, text, { flag: 'wx' }));
  }

  /** Renames every staged file over its target, in the order they were staged. */
  async commit(): Promise<void> {
    for (const { temporary, target } of this.files) await rename(temporary, target);
    this.files.length = 0;
  }

  /** Removes the staged files (after a failure). Never throws. */
  async discard(): Promise<void> {
    await Promise.all(this.files.map(({ temporary }) => rm(temporary, { force: true }).catch(() => undefined)));
    this.files.length = 0;
  }
}
