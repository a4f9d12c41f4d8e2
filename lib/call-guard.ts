// The rule for calls on a network while an asynchronous fit runs: every call throws BusyError,
// except read-only calls from inside the fit's own callbacks, where training is paused; and after
// dispose() every call throws DisposedError.
import { BusyError, DisposedError } from './errors';

/** Tracks the asynchronous operation running on one network and whether its callback is running. */
export class CallGuard {
  private busyWith: string | null = null;
  /** True while fit runs a callback: training is paused, so read-only calls are safe. */
  private inCallback = false;
  /** True once the network was disposed. */
  disposed = false;

  /** True while an asynchronous operation runs. */
  get busy(): boolean {
    return this.busyWith !== null;
  }

  /** Throws DisposedError after dispose(), BusyError while an asynchronous operation runs (read-only calls are allowed inside its callbacks). */
  check(call: string, readOnly = false): void {
    if (this.disposed) throw new DisposedError(`${call}() was called on a disposed network`);
    if (this.busyWith !== null && !(readOnly && this.inCallback)) {
      throw new BusyError(`${call}() was called while ${this.busyWith}() is running on this network; await it (or abort it) first`);
    }
  }

  /** Runs `work` with the network marked busy until it settles. */
  async exclusive<T>(call: string, work: () => Promise<T>): Promise<T> {
    this.check(call);
    this.busyWith = call;
    try {
      return await work();
    } finally {
      this.busyWith = null;
    }
  }

  /** Runs a callback of the running operation; read-only calls are allowed inside it. */
  duringCallback(callback: () => void): void {
    const outer = this.inCallback;
    this.inCallback = true;
    try {
      callback();
    } finally {
      this.inCallback = outer;
    }
  }
}
