// Errors of the command-line tool and their one-line form on stderr. Every failure the user can
// cause (bad arguments, unreadable or malformed files) ends as one line `blasprop: error: …` and a
// non-zero exit code, never a stack trace.
import { BlaspropError } from '../errors';

/** Exit code of a failure in the work itself (unreadable or malformed file, training failed). */
export const EXIT_FAILURE = 1;
/** Exit code of a usage error (unknown option, bad option value, missing option). */
export const EXIT_USAGE = 2;
/** Exit code after Ctrl-C (128 + SIGINT), as shells report it. */
export const EXIT_INTERRUPTED = 130;

/** An error the CLI reports as one line and an exit code, e.g. an inconsistent combination of options. */
export class CliError extends Error {
  /**
   * @param message - What is wrong, naming the option or file (one line).
   * @param exitCode - {@link EXIT_USAGE} for argument problems, {@link EXIT_FAILURE} otherwise.
   */
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Node's system errors ("ENOENT: no such file or directory, open 'x.csv'"), reworded. */
const SYSTEM_ERROR = /^(E[A-Z]+): (.*), (\w+) '(.*)'$/;
const READ_CALLS = new Set(['open', 'read', 'stat', 'lstat', 'access', 'scandir']);
const WRITE_CALLS = new Set(['write', 'rename', 'mkdir', 'unlink', 'copyfile']);

/** The readable message of an error, as one line without the `blasprop: error:` prefix. */
export function errorMessage(error: unknown): string {
  let message: string;
  if (error instanceof CliError || error instanceof BlaspropError) {
    message = error.message;
  } else if (error instanceof Error) {
    const system = SYSTEM_ERROR.exec(error.message);
    if (system) {
      const [, code, text, syscall, file] = system;
      const verb = READ_CALLS.has(syscall!) ? 'cannot read' : WRITE_CALLS.has(syscall!) ? 'cannot write' : `cannot ${syscall}`;
      message = `${verb} '${file}': ${text} (${code})`;
    } else {
      message = error.message;
    }
  } else {
    message = String(error);
  }
  return oneLine(message);
}

/** Joins the lines of a message into one ("a\nb" → "a; b") and trims it. */
export function oneLine(text: string): string {
  return text
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .join('; ');
}

/** The exit code that goes with an error. */
export function exitCodeOf(error: unknown): number {
  return error instanceof CliError ? error.exitCode : EXIT_FAILURE;
}
