// Validating a model file's JSON header (format.ts): every field's type and range, the
// architecture (through the same checks as `new Network`), and the agreement of dtype, parameter
// count, layout and section lengths with that architecture.
import { parameterLayout, resolveArchitecture, type Architecture, type NetworkOptions } from '../architecture';
import type { FormatError } from '../errors';
import { elementBytes } from '../dtype';
import { sectionNames, type ModelHeader, type SectionEntry, type SectionName } from './format';

/** Makes the FormatError to throw for a problem in the header (the caller adds file and position). */
export type HeaderFailure = (message: string, cause?: unknown) => FormatError;

/** A header that passed every check, with the options to build its network from. */
export interface ValidatedHeader {
  header: ModelHeader;
  /** The architecture as NetworkOptions (seed and mixedPrecision included, no backend or blas). */
  options: NetworkOptions;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Checks a header parsed from JSON against `formatVersion` (from the preamble); throws fail(...) at the first problem. */
export function validateHeader(raw: unknown, formatVersion: number, fail: HeaderFailure): ValidatedHeader {
  const record = (value: unknown, name: string): Record<string, unknown> => {
    if (!isRecord(value)) throw fail(`field '${name}' must be an object, got ${show(value)}`);
    return value;
  };
  const integer = (value: unknown, name: string, max = Number.MAX_SAFE_INTEGER): number => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
      throw fail(`field '${name}' must be an integer in [0, ${max}], got ${show(value)}`);
    }
    return value;
  };
  const string = (value: unknown, name: string): string => {
    if (typeof value !== 'string') throw fail(`field '${name}' must be a string, got ${show(value)}`);
    return value;
  };
  const integers = (value: unknown, name: string, length: number | null, max?: number): number[] => {
    if (!Array.isArray(value) || (length !== null && value.length !== length)) {
      throw fail(`field '${name}' must be an array of ${length ?? 'some'} integers, got ${show(value)}`);
    }
    return value.map((v, i) => integer(v, `${name}[${i}]`, max));
  };

  const h = record(raw, 'header');
  if (h.formatVersion !== formatVersion) {
    throw fail(`field 'formatVersion' is ${show(h.formatVersion)} but the file preamble says format version ${formatVersion}`);
  }
  const library = record(h.library, 'library');
  const createdAt = string(h.createdAt, 'createdAt');

  // The architecture: the same validation as `new Network(options)`.
  const { backend: _ignored, blas: _ignoredBlas, ...architecture } = record(h.architecture, 'architecture');
  const seed = integer(architecture.seed, 'architecture.seed', 2 ** 32 - 1);
  let resolved: Architecture;
  try {
    resolved = resolveArchitecture(architecture as unknown as NetworkOptions);
  } catch (e) {
    throw fail(`field 'architecture' does not describe a valid network: ${e instanceof Error ? e.message : String(e)}`, e);
  }
  const layout = parameterLayout(resolved);

  if (h.dtype !== 'float32' && h.dtype !== 'float64') throw fail(`field 'dtype' must be 'float32' or 'float64', got ${show(h.dtype)}`);
  if (h.dtype !== resolved.dtype) throw fail(`field 'dtype' is '${h.dtype}' but the architecture's dtype is '${resolved.dtype}'`);
  const parameterCount = integer(h.parameterCount, 'parameterCount');
  if (parameterCount !== layout.count) {
    throw fail(`field 'parameterCount' is ${parameterCount} but the architecture has ${layout.count} parameters`);
  }
  const l = record(h.layout, 'layout');
  const weightOffsets = integers(l.weightOffsets, 'layout.weightOffsets', layout.weightOffsets.length);
  const biasOffsets = integers(l.biasOffsets, 'layout.biasOffsets', layout.biasOffsets.length);
  const count = integer(l.count, 'layout.count');
  if (count !== layout.count || weightOffsets.some((o, i) => o !== layout.weightOffsets[i]) || biasOffsets.some((o, i) => o !== layout.biasOffsets[i])) {
    throw fail(`field 'layout' (${show(h.layout)}) does not match the architecture's layout (${show(layout)})`);
  }

  const optimizer = record(h.optimizer, 'optimizer');
  if (optimizer.key !== null && typeof optimizer.key !== 'string') throw fail(`field 'optimizer.key' must be a string or null, got ${show(optimizer.key)}`);
  const step = integer(optimizer.step, 'optimizer.step');

  const rng = record(h.rng, 'rng');
  const rngState = (name: 'dropout' | 'shuffle'): number[] => {
    const words = integers(rng[name], `rng.${name}`, 4, 2 ** 32 - 1);
    if (words.every((w) => w === 0)) throw fail(`field 'rng.${name}' is all zeros, which is not a valid xoshiro128** state`);
    return words;
  };

  const names = sectionNames(formatVersion);
  if (!Array.isArray(h.sections) || h.sections.length !== names.length) {
    throw fail(`field 'sections' must be an array of ${names.length} sections (${names.join(', ')}), got ${show(h.sections)}`);
  }
  const seen = new Set<SectionName>();
  const sections = h.sections.map((value: unknown, i): SectionEntry => {
    const s = record(value, `sections[${i}]`);
    const name = s.name as SectionName;
    if (!names.includes(name)) throw fail(`field 'sections[${i}].name' must be one of ${names.join(', ')}, got ${show(s.name)}`);
    if (seen.has(name)) throw fail(`section '${name}' is listed twice`);
    seen.add(name);
    const entry: SectionEntry = {
      name,
      offset: integer(s.offset, `sections[${i}].offset`),
      length: integer(s.length, `sections[${i}].length`),
      byteLength: integer(s.byteLength, `sections[${i}].byteLength`),
      crc32: integer(s.crc32, `sections[${i}].crc32`, 2 ** 32 - 1),
    };
    if (entry.length !== layout.count) {
      throw fail(`section '${name}' has ${entry.length} elements but the architecture has ${layout.count} parameters`);
    }
    if (entry.byteLength !== entry.length * elementBytes(resolved.dtype)) {
      throw fail(`section '${name}' has byteLength ${entry.byteLength}, expected ${entry.length} ${resolved.dtype} elements × ${elementBytes(resolved.dtype)} bytes = ${entry.length * elementBytes(resolved.dtype)}`);
    }
    return entry;
  });

  const header: ModelHeader = {
    formatVersion,
    library: { name: string(library.name, 'library.name'), version: string(library.version, 'library.version') },
    createdAt,
    architecture: architecture as Omit<NetworkOptions, 'backend' | 'blas'>,
    dtype: h.dtype,
    parameterCount,
    layout: { weightOffsets, biasOffsets, count },
    optimizer: { key: optimizer.key, step },
    rng: { dropout: rngState('dropout'), shuffle: rngState('shuffle') },
    sections,
  };
  return { header, options: { ...(architecture as unknown as NetworkOptions), seed } };
}
