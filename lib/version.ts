// The installed blasprop's version, read once from its package.json.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from './backends/native';

let version: string | undefined;

/** The version of this blasprop from its package.json ('unknown' when it cannot be read). */
export function libraryVersion(): string {
  if (version === undefined) {
    try {
      const manifest: unknown = JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8'));
      const v = (manifest as { version?: unknown }).version;
      version = typeof v === 'string' ? v : 'unknown';
    } catch {
      version = 'unknown';
    }
  }
  return version;
}
