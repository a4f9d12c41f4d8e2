// Saving and loading model files: the functions behind Network.save / saveSync / toBuffer and
// Network.load / loadSync / fromBuffer. They work on plain state (network-state.ts), so this
// module never needs the Network class. The file format is described in format.ts.
import * as fs from 'node:fs';
import { BACKEND_CHOICES, BLAS_CHOICES, type BackendChoice, type BlasChoice } from '../architecture';
import { ConfigError, DTypeError } from '../errors';
import type { NetworkState } from '../network-state';
import { checkChoice, checkKnownKeys, describe } from '../options';
import { writeFileAtomic, writeFileAtomicSync } from './atomic-write';
import { decodeModel, type DecodedModel } from './decode';
import { encodeModel } from './encode';

export type { DecodedModel };

/** Options of `Network.load`, `Network.loadSync` and `Network.fromBuffer`. */
export interface LoadOptions {
  /** The backend to run the loaded network on; default `auto`. Models load on every backend, whichever saved them. */
  backend?: BackendChoice;
  /** The product engine of the loaded network; default `auto`. */
  blas?: BlasChoice;
}

function checkPath(file: unknown, call: string): string {
  if (typeof file !== 'string' || file.length === 0) throw new ConfigError(`${call}(path): path must be a non-empty string, got ${describe(file)}`);
  return file;
}

function checkLoadOptions(options: unknown, call: string): LoadOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) throw new ConfigError(`${call}: options must be an object, got ${describe(options)}`);
  checkKnownKeys(options, ['backend', 'blas'], `${call} options`);
  const { backend, blas } = options as LoadOptions;
  if (backend !== undefined) checkChoice(backend, 'backend', BACKEND_CHOICES);
  if (blas !== undefined) checkChoice(blas, 'blas', BLAS_CHOICES);
  return options as LoadOptions;
}

/** Decodes `bytes` (fully validated); the load options' backend and blas replace none in the file (neither is saved). */
function decode(bytes: Uint8Array, source: string, options: LoadOptions): DecodedModel {
  const model = decodeModel(bytes, source);
  const { backend, blas } = options;
  return { ...model, options: { ...model.options, ...(backend !== undefined ? { backend } : {}), ...(blas !== undefined ? { blas } : {}) } };
}

/** The bytes of a model file holding the complete state (see format.ts). */
export function modelToBuffer(state: NetworkState): Buffer {
  return encodeModel(state);
}

/** Writes a model file atomically. */
export function saveModelSync(state: NetworkState, file: unknown): void {
  const target = checkPath(file, 'saveSync');
  writeFileAtomicSync(target, encodeModel(state));
}

/** Writes a model file atomically; the state is captured before the call returns. */
export async function saveModel(state: NetworkState, file: unknown): Promise<void> {
  const target = checkPath(file, 'save');
  await writeFileAtomic(target, encodeModel(state));
}

/** Reads a model from the bytes of a model file. */
export function modelFromBuffer(bytes: unknown, options: unknown): DecodedModel {
  if (!(bytes instanceof Uint8Array)) throw new DTypeError(`fromBuffer(buffer): buffer must be a Buffer or Uint8Array, got ${describe(bytes)}`);
  return decode(bytes, 'buffer', checkLoadOptions(options, 'fromBuffer'));
}

/** Reads a model file. */
export function loadModelSync(file: unknown, options: unknown): DecodedModel {
  const source = checkPath(file, 'loadSync');
  const loadOptions = checkLoadOptions(options, 'loadSync');
  return decode(fs.readFileSync(source), source, loadOptions);
}

/** Reads a model file asynchronously. */
export async function loadModel(file: unknown, options: unknown): Promise<DecodedModel> {
  const source = checkPath(file, 'load');
  const loadOptions = checkLoadOptions(options, 'load');
  return decode(await fs.promises.readFile(source), source, loadOptions);
}
