// Decoding a model file (format.ts) into the options and state of a network. Everything is
// checked — magic, version, sizes, checksums, header fields, architecture — before anything is
// built, so a bad file never yields a half-loaded network.
import type { NetworkOptions } from '../architecture';
import { floatArray, type FloatArray } from '../dtype';
import { FormatError } from '../errors';
import { crc32 } from './crc32';
import { fromLittleEndian } from '../little-endian';
import type { TrainingState } from '../network-state';
import { align, FORMAT_VERSION, HEADER_CRC_BYTES, MAGIC, PREAMBLE_BYTES, type ModelHeader, type SectionName } from './format';
import { validateHeader } from './header';

/** A decoded, fully validated model file. */
export interface DecodedModel {
  header: ModelHeader;
  /** Options to build the network from (architecture with seed, no backend). */
  options: NetworkOptions;
  /** The state to restore into the freshly built network. */
  state: TrainingState;
}

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

/** Bytes as hex and as printable ASCII, for messages about foreign files. */
function preview(bytes: Uint8Array): string {
  const hexBytes = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
  const ascii = Array.from(bytes, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
  return `${hexBytes} ("${ascii}")`;
}

/**
 * Decodes and validates the bytes of a model file.
 *
 * @param bytes - The whole file.
 * @param source - The file name, or "buffer", to start error messages with.
 * @throws FormatError naming `source`, the byte position and what is wrong.
 */
export function decodeModel(bytes: Uint8Array, source: string): DecodedModel {
  const fail = (message: string, cause?: unknown): FormatError => {
    const error = new FormatError(`${source}: ${message}`);
    if (cause !== undefined) error.cause = cause;
    return error;
  };
  const size = bytes.length;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  // Preamble: magic, version, header length.
  if (size === 0) throw fail(`the file is empty (0 bytes); a blasprop model starts with the magic bytes 'BLASPROP'`);
  const head = bytes.subarray(0, MAGIC.length);
  if (!MAGIC.subarray(0, head.length).equals(head)) {
    throw fail(`not a blasprop model: bytes 0–${head.length - 1} are ${preview(head)}, expected the magic bytes 'BLASPROP'`);
  }
  if (size < PREAMBLE_BYTES) {
    throw fail(`truncated at byte ${size}: the file ends inside its ${PREAMBLE_BYTES}-byte preamble (magic, format version, header length)`);
  }
  const version = view.getUint32(8, true);
  if (version > FORMAT_VERSION) {
    throw fail(`format version ${version} is newer than this blasprop supports (${FORMAT_VERSION}); upgrade blasprop`);
  }
  if (version < 1) throw fail(`format version ${version} at byte 8 is not valid (versions start at 1)`);

  // Header and its checksum.
  const headerLength = view.getUint32(12, true);
  const headerEnd = PREAMBLE_BYTES + headerLength;
  const dataStart = align(headerEnd + HEADER_CRC_BYTES);
  if (size < headerEnd + HEADER_CRC_BYTES) {
    throw fail(`truncated at byte ${size}: the ${headerLength}-byte header at byte ${PREAMBLE_BYTES} and its checksum need ${headerEnd + HEADER_CRC_BYTES} bytes`);
  }
  const headerBytes = bytes.subarray(PREAMBLE_BYTES, headerEnd);
  const headerCrc = crc32(headerBytes);
  const storedHeaderCrc = view.getUint32(headerEnd, true);
  if (headerCrc !== storedHeaderCrc) {
    throw fail(`header checksum mismatch: the CRC-32 of the header (bytes ${PREAMBLE_BYTES}–${headerEnd - 1}) is ${hex(headerCrc)}, but byte ${headerEnd} records ${hex(storedHeaderCrc)}; the file is corrupted`);
  }
  const where = `header (bytes ${PREAMBLE_BYTES}–${headerEnd - 1})`;
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (e) {
    throw fail(`${where} is not valid UTF-8 JSON: ${e instanceof Error ? e.message : String(e)}`, e);
  }
  const { header, options } = validateHeader(raw, version, (message, cause) => fail(`${where}: ${message}`, cause));

  // Sections: in the file, checksums, then decoded.
  if (size < dataStart) throw fail(`truncated at byte ${size}: the data area starts at byte ${dataStart}`);
  for (let p = headerEnd + HEADER_CRC_BYTES; p < dataStart; p++) {
    if (bytes[p] !== 0) throw fail(`byte ${p} (padding after the header) is ${bytes[p]}, expected 0; the file is corrupted`);
  }
  let end = dataStart;
  for (const s of header.sections) {
    const start = dataStart + s.offset;
    if (start + s.byteLength > size) {
      throw fail(`truncated at byte ${size}: section '${s.name}' occupies bytes ${start}–${start + s.byteLength - 1}`);
    }
    end = Math.max(end, start + s.byteLength);
  }
  if (size > end) throw fail(`${size - end} unexpected bytes after the last section, from byte ${end} on`);
  // validateHeader checked that the sections of the file's version are all present: optG from version 2 on.
  const arrays = {} as Record<Exclude<SectionName, 'optG'>, FloatArray> & { optG?: FloatArray };
  for (const s of header.sections) {
    const start = dataStart + s.offset;
    const data = bytes.subarray(start, start + s.byteLength);
    const actual = crc32(data);
    if (actual !== s.crc32) {
      throw fail(`section '${s.name}' (bytes ${start}–${start + s.byteLength - 1}) checksum mismatch: its CRC-32 is ${hex(actual)}, the header records ${hex(s.crc32)}; the file is corrupted`);
    }
    arrays[s.name] = fromLittleEndian(data, header.dtype, s.length);
  }

  return {
    header,
    options,
    state: {
      params: arrays.params,
      optM: arrays.optM,
      optV: arrays.optV,
      optG: arrays.optG ?? floatArray(header.dtype, header.parameterCount), // version 1: all zeros
      dropoutRng: Uint32Array.from(header.rng.dropout),
      shuffleRng: Uint32Array.from(header.rng.shuffle),
      optimizerStep: header.optimizer.step,
      optimizerKey: header.optimizer.key,
    },
  };
}
