// Ctrl-C during training: the first SIGINT (or SIGTERM) aborts the fit at its next chunk boundary
// (within about 50 ms), so the command can stop the progress bar and exit without writing any
// output; a second one exits at once.
import { EXIT_INTERRUPTED } from './cli-error';

/**
 * Runs `work` with an AbortSignal that fires on SIGINT or SIGTERM, and removes the handlers after.
 *
 * @returns what `work` returned and whether a signal arrived.
 */
export async function withInterruptSignal<T>(work: (signal: AbortSignal) => Promise<T>): Promise<{ result: T; interrupted: boolean }> {
  const controller = new AbortController();
  const onSignal = (): void => {
    if (controller.signal.aborted) process.exit(EXIT_INTERRUPTED);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await work(controller.signal);
    return { result, interrupted: controller.signal.aborted };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
