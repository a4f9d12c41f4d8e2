// Saving and loading networks: the functions behind Network.save / saveSync / toBuffer and
// Network.load / loadSync / fromBuffer. The file format is described in format.ts.
import * as fs from 'node:fs';
import type { BackendChoice, NetworkOptions } from '../architecture';
import { ConfigError, DTypeError } from '../errors';
import type { Network } from '../network';
import { checkChoice, checkKnownKeys, describe } from '../options';
import { writeFileAtomic, writeFileAtomicSync } from './atomic-write';
import { decodeModel } from './decode';
import { encodeNetwork } from './encode';

/** Options of `Network.load`, `Network.loadSync` and `Network.fromBuffer`. */
export interface LoadOptions {
  /** The backend to run the loaded network on; default `auto`. Models load on either backend, whichever saved them. */
  backend?: BackendChoice;
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
  checkKnownKeys(options, ['backend'], `${call} options`);
  const { backend } = options as LoadOptions;
  if (backend !== undefined) checkChoice(backend, 'backend', ['auto', 'native', 'wasm', 'js'] as const);
  return options as LoadOptions;
}

/** Decodes `bytes`, then builds the network and restores its state. Nothing is built unless the whole file is valid. */
function restore(bytes: Uint8Array, source: string, options: LoadOptions, create: NetworkFactory): Network {
  const model = decodeModel(bytes, source);
  const net = create(options.backend === undefined ? model.options : { ...model.options, backend: options.backend });
  net.restoreState(model.state);
  return net;
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
