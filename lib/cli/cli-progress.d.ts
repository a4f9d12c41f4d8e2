// Type declarations for the part of `cli-progress` (3.x, plain JavaScript, no bundled types) that
// the CLI uses. Delete this file if `@types/cli-progress` is ever added to devDependencies.
declare module 'cli-progress' {
  /** Values of the payload tokens (`{name}` in the format string). */
  export type Payload = Record<string, string | number>;

  /** The options of a bar (see the cli-progress README); only those the CLI sets are listed. */
  export interface Options {
    format?: string;
    /** Maximum redraws per second (default 10). */
    fps?: number;
    /** Where the bar is drawn (default process.stderr). Nothing is drawn unless it is a TTY (or noTTYOutput). */
    stream?: NodeJS.WritableStream;
    clearOnComplete?: boolean;
    stopOnComplete?: boolean;
    hideCursor?: boolean | null;
    /** Stop the bar on SIGINT/SIGTERM (default true). */
    gracefulExit?: boolean;
    barsize?: number;
    barCompleteChar?: string;
    barIncompleteChar?: string;
    noTTYOutput?: boolean;
    etaBuffer?: number;
    linewrap?: boolean | null;
  }

  /** A preset: format and bar characters. */
  export interface Preset {
    format?: string;
    barCompleteChar?: string;
    barIncompleteChar?: string;
  }

  /** One progress bar, redrawn on a timer between start() and stop(). */
  export class SingleBar {
    constructor(options: Options, preset?: Preset);
    start(total: number, startValue: number, payload?: Payload): void;
    update(current: number, payload?: Payload): void;
    increment(step?: number, payload?: Payload): void;
    setTotal(total: number): void;
    stop(): void;
  }

  export const Presets: {
    legacy: Preset;
    rect: Preset;
    shades_classic: Preset;
    shades_grey: Preset;
  };
}
