// Atomic file replacement: the bytes go to a new temporary file in the target's directory, which
// is flushed to disk (fsync) and then renamed over the target. Readers see the old file or the new
// one, never a mix; if anything fails, the temporary file is removed and an existing target is
// left untouched. A save killed outright (kill -9, power loss) cannot clean up: its temporary file
// `.<name>.<pid>.<random>.tmp` stays beside the intact target, and the next save into that
// directory removes every such file whose process no longer exists.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The file to write: the target itself, or the file a symbolic link at the target points to. */
function resolveTargetSync(target: string): string {
  try {
    return fs.realpathSync(target);
  } catch {
    return path.resolve(target); // does not exist yet (or a dangling link: replaced by the file)
  }
}

async function resolveTarget(target: string): Promise<string> {
  return fs.promises.realpath(target).catch(() => path.resolve(target));
}

/** A fresh name next to `file` (a hidden file; bounded in length so it stays a valid name). */
function temporaryName(file: string): string {
  const base = path.basename(file).slice(0, 100);
  return path.join(path.dirname(file), `.${base}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`);
}

/** `.<name>.<pid>.<12 hex digits>.tmp`, as temporaryName makes them; group 1 is the pid. */
const TEMPORARY_PATTERN = /^\..*\.(\d+)\.[0-9a-f]{12}\.tmp$/;

/** Whether the file name is a temporary file of a process that no longer exists (kill(pid, 0) → ESRCH). */
function isStale(name: string): boolean {
  const match = TEMPORARY_PATTERN.exec(name);
  if (!match) return false;
  const pid = Number(match[1]);
  if (pid === process.pid || !Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false; // alive
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH'; // EPERM: alive, someone else's
  }
}

/** Removes the stale temporary files in `dir`; best effort, a failure here never fails the save. */
function removeStaleSync(dir: string): void {
  try {
    for (const name of fs.readdirSync(dir)) if (isStale(name)) fs.rmSync(path.join(dir, name), { force: true });
  } catch {
    // Unreadable directory or a race with another cleaner: the save itself decides success.
  }
}

async function removeStale(dir: string): Promise<void> {
  try {
    for (const name of await fs.promises.readdir(dir)) if (isStale(name)) await fs.promises.rm(path.join(dir, name), { force: true });
  } catch {
    // As in removeStaleSync.
  }
}

/** The error to throw when saving to `target` failed: names the target, keeps the system error's code. */
function saveError(target: string, cause: unknown): Error {
  const message = cause instanceof Error ? cause.message : String(cause);
  const error = new Error(`cannot save the model to '${target}': ${message}`) as NodeJS.ErrnoException;
  error.cause = cause;
  const code = (cause as NodeJS.ErrnoException | null)?.code;
  if (code !== undefined) error.code = code;
  return error;
}

/** Flushes a directory entry change (the rename) to disk where the platform allows it. */
function syncDirectorySync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Not supported (Windows) or not permitted: the rename itself is still atomic.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(dir, 'r');
    await handle.sync();
  } catch {
    // As in syncDirectorySync.
  } finally {
    await handle?.close();
  }
}

/**
 * Replaces `target` with `data` atomically (temporary file, fsync, rename), then removes temporary
 * files of dead processes from the directory.
 *
 * @throws Error naming `target`, with the system error as `cause` and its `code`, when writing
 *   fails; an existing file at `target` is then unchanged and no temporary file remains.
 */
export function writeFileAtomicSync(target: string, data: Uint8Array): void {
  const file = resolveTargetSync(target);
  const temporary = temporaryName(file);
  let fd: number | undefined;
  try {
    fd = fs.openSync(temporary, 'wx', 0o666);
    for (let written = 0; written < data.length; ) written += fs.writeSync(fd, data, written, data.length - written);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(temporary, file);
  } catch (e) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // Already failing; the close error adds nothing.
      }
    }
    try {
      fs.rmSync(temporary, { force: true });
    } catch {
      // Report the original failure, not the cleanup's.
    }
    throw saveError(target, e);
  }
  syncDirectorySync(path.dirname(file));
  removeStaleSync(path.dirname(file));
}

/** The asynchronous form of {@link writeFileAtomicSync}. */
export async function writeFileAtomic(target: string, data: Uint8Array): Promise<void> {
  const file = await resolveTarget(target);
  const temporary = temporaryName(file);
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(temporary, 'wx', 0o666);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.promises.rename(temporary, file);
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await fs.promises.rm(temporary, { force: true }).catch(() => undefined);
    throw saveError(target, e);
  }
  await syncDirectory(path.dirname(file));
  await removeStale(path.dirname(file));
}
