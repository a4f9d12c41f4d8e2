// The blasprop model file format (`.blasprop`), versions 1 and 2: the constants and the header type
// that the encoder (encode.ts) and the decoder (decode.ts, header.ts) share.
//
// A model file holds everything needed to continue training exactly where it stopped: the
// architecture (with the seed), the parameters, the optimizer state (the buffers optM, optV and
// optG of lib/backends/js/optimizers.ts, step count and settings key) and both random-number-generator states (dropout masks,
// shuffling). Saving and loading is bit-exact. Every multi-byte number is little-endian, whatever
// the machine, so files are portable.
//
//   offset       size  content
//   0            8     magic: the ASCII bytes `BLASPROP`
//   8            4     uint32 LE: format version (1 or 2)
//   12           4     uint32 LE: header length n, in bytes
//   16           n     header: UTF-8 JSON (below)
//   16 + n       4     uint32 LE: CRC-32 of the n header bytes
//   20 + n       0–7   zero bytes, so that the data area starts at a multiple of 8 (dataStart)
//   dataStart    …     the sections: raw little-endian float32 or float64 arrays (the network's
//                      dtype), each at dataStart + its `offset`; offsets are multiples of 8 and
//                      the gaps between sections are zero bytes. The file ends with the last
//                      section.
//
// The header (JSON object):
//   formatVersion   1 or 2 (the same number as at byte 8)
//   library         { name: 'blasprop', version } of the writer
//   createdAt       ISO-8601 UTC time of writing
//   architecture    the NetworkOptions the network was built from, without `backend`, with `seed`
//                   and `dtype` filled in
//   dtype           'float32' | 'float64': element type of every section
//   parameterCount  number of weights and biases
//   layout          { weightOffsets, biasOffsets, count }: where W^l and b^l start in `params`
//                   (W^1 b^1 W^2 b^2 …, W^l row-major [units × inputs])
//   optimizer       { key, step }: the settings key of the optimizer state (null before the first
//                   training step) and the number of optimizer steps taken with it
//   rng             { dropout, shuffle }: the two xoshiro128** states, 4 uint32 words each
//   sections        [{ name, offset, length, byteLength, crc32 }] for name 'params', 'optM' (SGD's
//                   velocity, Adam's first moment, RMSprop's momentum buffer), 'optV' (Adam's second
//                   moment, RMSprop's mean square, Adagrad's sum of squares) and, in version 2 only,
//                   'optG' (centered RMSprop's mean gradient): byte offset from dataStart, number of
//                   elements (= parameterCount), number of bytes (length × 4 or 8), and the CRC-32
//                   of those bytes
//
// Versions: version 1 has the sections params, optM, optV; version 2 adds optG. A writer uses
// version 1 whenever optG is all zeros (every optimizer but centered RMSprop), so that such files
// stay readable by blasprop releases that know only version 1; a version-1 file loads with optG
// all zeros, which is exactly the state it was saved from.
//
// CRC-32 is the checksum of zlib, gzip and PNG (polynomial 0xEDB88320, crc32.ts). A reader
// rejects a file whose magic, version, checksums, header fields, architecture, section lengths or
// size do not match, naming the file and the byte position; a newer format version is refused with
// a request to upgrade blasprop.
import type { NetworkOptions } from '../architecture';
import type { DType } from '../dtype';

/** The first 8 bytes of every model file. */
export const MAGIC = Buffer.from('BLASPROP', 'latin1');
/** The newest format version this blasprop writes and reads. */
export const FORMAT_VERSION = 2;
/** Bytes before the header: magic, format version, header length. */
export const PREAMBLE_BYTES = 16;
/** Bytes of the header checksum that follows the header. */
export const HEADER_CRC_BYTES = 4;
/** Alignment of the data area and of every section in it. */
export const ALIGNMENT = 8;
/** Section names in the order they are written (version 2; version 1 ends before optG). */
export const SECTION_NAMES = ['params', 'optM', 'optV', 'optG'] as const;

/** Name of a section of raw array data. */
export type SectionName = (typeof SECTION_NAMES)[number];

/** The sections a file of format `version` (1 or 2) holds, in order. */
export function sectionNames(version: number): readonly SectionName[] {
  return version === 1 ? SECTION_NAMES.slice(0, 3) : SECTION_NAMES;
}

/** A section's entry in the header. */
export interface SectionEntry {
  name: SectionName;
  /** Byte offset from the start of the data area. */
  offset: number;
  /** Number of elements. */
  length: number;
  /** Number of bytes: length × bytes per element. */
  byteLength: number;
  /** CRC-32 of the section's bytes as stored (little-endian). */
  crc32: number;
}

/** The JSON header of a model file, versions 1 and 2. */
export interface ModelHeader {
  formatVersion: number;
  library: { name: string; version: string };
  createdAt: string;
  architecture: Omit<NetworkOptions, 'backend' | 'blas'>;
  dtype: DType;
  parameterCount: number;
  layout: { weightOffsets: number[]; biasOffsets: number[]; count: number };
  optimizer: { key: string | null; step: number };
  rng: { dropout: number[]; shuffle: number[] };
  sections: SectionEntry[];
}

/** Rounds `n` up to a multiple of ALIGNMENT. */
export function align(n: number): number {
  return Math.ceil(n / ALIGNMENT) * ALIGNMENT;
}

