// Saving and loading networks: the functions behind Network.save / saveSync / toBuffer and
// Network.load / loadSync / fromBuffer. The file format is described in format.ts.
import * as fs from 'node:fs';
import type { BackendChoice, BlasChoice, NetworkOptions } from '../architecture';
import { BackendError, ConfigError, DTypeError } from '../errors';
import type { Network } from '../network';
import { checkChoice, checkKnownKeys, describe } from '../options';
import { writeFileAtomic, writeFileAtomicSync } from './atomic-write';
import { decodeModel } from './decode';
import { encodeNetwork } from './encode';

/** Options of `Network.load`, `Network.loadSync` and `Network.fromBuffer`. */
export interface LoadOptions {
  /** The backend to run the loaded network on; default `auto`. Models load on either backend, whichever saved them. */
  backend?: BackendChoice;
  /** The product engine of the loaded network; default `auto`. */
  blas?: BlasChoice;
}

/** Builds a network (`new Network(options)`); passed in so this module needs no runtime import of network.ts. */
export type NetworkFactory = (options: NetworkOptions) => Network;

function checkPath(file: unknown, call: string): string {
  if (typeof file !== 'string' || file.length === 0) throw new ConfigError(`${call}(path): path must be a non-empty string, got ${describe(file)}`);
  return file;
}

function checkLoadOptions(options: unknown, call: string): LoadOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) throw new ConfigError(`${call}: options must be an object, got ${describe(options)}`);
  checkKnownKeys(options, ['backend', 'blas'], `${call} options`);
  const { backend, blas } = options as LoadOptions;
  if (backend !== undefined) checkChoice(backend, 'backend', ['auto', 'native', 'js'] as const);
  if (blas !== undefined) checkChoice(blas, 'blas', ['auto', 'openblas', 'onednn'] as const);
  return options as LoadOptions;
}

/** Decodes `bytes`, then builds the network and restores its state. Nothing is built unless the whole file is valid. */
function restore(bytes: Uint8Array, source: string, options: LoadOptions, create: NetworkFactory): Network {
  const model = decodeModel(bytes, source);
  const net = createLoaded({ ...model.options, ...options }, source, create);
  net.restoreState(model.state);
  return net;
}

/**
 * Builds the loaded network. A model trained with mixedPrecision 'bfloat16' is a float32 model: where
 * this machine or backend has no bfloat16 products it loads in float32, with a warning, instead of failing.
 */
function createLoaded(options: NetworkOptions, source: string, create: NetworkFactory): Network {
  try {
    return create(options);
  } catch (e) {
    if (!(e instanceof BackendError) || options.mixedPrecision !== 'bfloat16') throw e;
    const { mixedPrecision: _bf16, inferencePrecision: _inference, ...float32 } = options;
    process.emitWarning(`blasprop: ${source} was trained with mixedPrecision 'bfloat16'; it runs in float32 here because ${e.message}`, { code: 'BLASPROP_NO_BF16' });
    return create(float32);
  }
}

/** The bytes of a model file holding the network's complete state (see format.ts). */
export function networkToBuffer(net: Network): Buffer {
  return encodeNetwork(net);
}

/** Writes the network to `file` atomically. */
export function saveNetworkSync(net: Network, file: unknown): void {
  const target = checkPath(file, 'saveSync');
  writeFileAtomicSync(target, encodeNetwork(net));
}

/** Writes the network to `file` atomically; the state is captured before the call returns. */
export async function saveNetwork(net: Network, file: unknown): Promise<void> {
  const target = checkPath(file, 'save');
  await writeFileAtomic(target, encodeNetwork(net));
}

/** Builds a network from the bytes of a model file. */
export function networkFromBuffer(bytes: unknown, options: unknown, create: NetworkFactory): Network {
  if (!(bytes instanceof Uint8Array)) throw new DTypeError(`fromBuffer(buffer): buffer must be a Buffer or Uint8Array, got ${describe(bytes)}`);
  return restore(bytes, 'buffer', checkLoadOptions(options, 'fromBuffer'), create);
}

/** Builds a network from a model file. */
export function loadNetworkSync(file: unknown, options: unknown, create: NetworkFactory): Network {
  const source = checkPath(file, 'loadSync');
  const loadOptions = checkLoadOptions(options, 'loadSync');
  return restore(fs.readFileSync(source), source, loadOptions, create);
}

/** Builds a network from a model file, reading it asynchronously. */
export async function loadNetwork(file: unknown, options: unknown, create: NetworkFactory): Promise<Network> {
  const source = checkPath(file, 'load');
  const loadOptions = checkLoadOptions(options, 'load');
  return restore(await fs.promises.readFile(source), source, loadOptions, create);
}
