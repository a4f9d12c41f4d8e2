// Encoding a network's full state as a model file (format.ts describes the layout).
import { parameterLayout, resolveArchitecture } from '../architecture';
import type { FloatArray } from '../dtype';
import { littleEndianBytes } from '../little-endian';
import type { NetworkState } from '../network-state';
import { libraryVersion } from '../version';
import { crc32 } from './crc32';
import {
  align, FORMAT_VERSION, HEADER_CRC_BYTES, MAGIC, PREAMBLE_BYTES, sectionNames,
  type ModelHeader, type SectionEntry, type SectionName,
} from './format';

/**
 * Encodes a network's complete state (architecture, parameters, optimizer state, random
 * generator states) as the bytes of a model file. The result is a snapshot: later training does
 * not change it. The file is format version 1 unless optG holds state (centered RMSprop), which
 * needs version 2 (format.ts).
 */
export function encodeModel(state: NetworkState): Buffer {
  // The backend and product engine are the loading machine's choice; mixedPrecision is the model's and stays.
  const { backend: _backend, blas: _blas, ...options } = state.options;
  const architecture = resolveArchitecture(state.options);
  const layout = parameterLayout(architecture);
  const dtype = architecture.dtype;
  const arrays: Record<SectionName, FloatArray> = { params: state.params, optM: state.optM, optV: state.optV, optG: state.optG };
  const version = state.optG.every((v) => Object.is(v, 0)) ? 1 : FORMAT_VERSION;

  const sections: SectionEntry[] = [];
  const payloads: Uint8Array[] = [];
  let offset = 0;
  for (const name of sectionNames(version)) {
    const bytes = littleEndianBytes(arrays[name]);
    offset = align(offset);
    sections.push({ name, offset, length: arrays[name].length, byteLength: bytes.length, crc32: crc32(bytes) });
    payloads.push(bytes);
    offset += bytes.length;
  }

  const header: ModelHeader = {
    formatVersion: version,
    library: { name: 'blasprop', version: libraryVersion() },
    createdAt: new Date().toISOString(),
    architecture: { ...options, dtype, seed: state.seed },
    dtype,
    parameterCount: layout.count,
    layout: { weightOffsets: [...layout.weightOffsets], biasOffsets: [...layout.biasOffsets], count: layout.count },
    optimizer: { key: state.optimizerKey, step: state.optimizerStep },
    rng: { dropout: Array.from(state.dropoutRng), shuffle: Array.from(state.shuffleRng) },
    sections,
  };

  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const dataStart = align(PREAMBLE_BYTES + json.length + HEADER_CRC_BYTES);
  const file = Buffer.alloc(dataStart + offset); // zero-filled: padding stays 0
  MAGIC.copy(file, 0);
  file.writeUInt32LE(version, 8);
  file.writeUInt32LE(json.length, 12);
  json.copy(file, PREAMBLE_BYTES);
  file.writeUInt32LE(crc32(json), PREAMBLE_BYTES + json.length);
  sections.forEach((section, i) => file.set(payloads[i]!, dataStart + section.offset));
  return file;
}
