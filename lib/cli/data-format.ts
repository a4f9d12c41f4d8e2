// Telling the CLI's two data formats apart. IDX files (plain or gzipped) are recognised by their
// first bytes, whatever they are called: an IDX file starts with two zero bytes, a gzip stream with
// 1f 8b. Neither can start a CSV file's text header, so everything else is read as CSV.
import { open, stat } from 'node:fs/promises';

import { CliError } from './cli-error';

/** `csv`: a header row and numeric columns; `idx`: an IDX (MNIST-style) file, maybe gzipped. */
export type DataFormat = 'csv' | 'idx';

/**
 * Detects the format of a data file from its first two bytes.
 *
 * @throws CliError for a directory; the system error (reworded by the CLI) when the file cannot be opened.
 */
export async function detectDataFormat(path: string): Promise<DataFormat> {
  if ((await stat(path)).isDirectory()) throw new CliError(`'${path}' is a directory, not a data file`);
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    if (bytesRead === 2 && ((head[0] === 0 && head[1] === 0) || (head[0] === 0x1f && head[1] === 0x8b))) return 'idx';
    return 'csv';
  } finally {
    await handle.close();
  }
}
