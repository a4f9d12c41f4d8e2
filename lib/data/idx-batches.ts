// IDX image and label files (the MNIST layout) read as a stream of batches for `fit(source)`:
// the files are read a few items at a time (through gunzip when they are compressed), so memory
// stays constant whatever their size. Same checks and messages as loadIdxImages (idx.ts).
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';

import { ConfigError, FormatError } from '../errors';
import { checkInteger, checkKnownKeys, describe } from '../options';
import { checkImageSet, describeIdxData, isGzip, parseIdxHeader, type IdxFileFacts, type IdxHeader } from './idx';
import type { Matrix } from './matrix';

/** Options of {@link idxBatches}. */
export interface IdxBatchOptions {
  /** Images per batch. */
  batchSize: number;
  /** Divide ubyte pixels by 255 (default true), as loadIdxImages. */
  scale?: boolean;
}

/** One batch of images and labels. */
export interface IdxBatch {
  x: Matrix<Float32Array>;
  y: Int32Array;
}

/** The largest IDX header: 4 bytes and 255 dimensions of 4 bytes. */
const MAX_HEADER_BYTES = 4 + 4 * 255;
const INTEGER_TYPES = ['ubyte', 'byte', 'short', 'int'];

/** Reads the items of one IDX file in order, holding only the bytes not yet handed out. */
class IdxItemReader {
  private readonly chunks: AsyncIterator<Buffer>;
  private held: Buffer = Buffer.alloc(0);
  private ended = false;
  private offset = 0;
  header!: IdxHeader;
  itemBytes = 0;

  private constructor(readonly path: string, private readonly where: string, stream: NodeJS.ReadableStream) {
    this.chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    this.close = () => (stream as NodeJS.ReadableStream & { destroy(): void }).destroy();
  }

  readonly close: () => void;

  static async open(path: string): Promise<IdxItemReader> {
    const handle = await open(path, 'r');
    const magic = Buffer.alloc(2);
    try {
      await handle.read(magic, 0, 2, 0);
    } finally {
      await handle.close();
    }
    const file = createReadStream(path, { highWaterMark: 1 << 20 });
    const gzip = isGzip(magic);
    const reader = new IdxItemReader(path, gzip ? ' of the decompressed data' : '', gzip ? file.pipe(createGunzip()) : file);
    file.on('error', () => undefined); // surfaced by the iterator
    await reader.fill(MAX_HEADER_BYTES);
    reader.header = parseIdxHeader(reader.held, path, reader.where);
    reader.take(reader.header.headerBytes);
    reader.itemBytes = reader.header.shape.slice(1).reduce((a, b) => a * b, 1) * reader.header.type.bytes;
    return reader;
  }

  /** Reads until `bytes` are held or the file ends. */
  private async fill(bytes: number): Promise<void> {
    const parts: Buffer[] = [this.held];
    let length = this.held.length;
    while (length < bytes && !this.ended) {
      let next: IteratorResult<Buffer>;
      try {
        next = await this.chunks.next();
      } catch (err) {
        throw new FormatError(`${this.path}: ${this.where ? 'invalid gzip data' : 'read failed'}: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (next.done) this.ended = true;
      else {
        parts.push(next.value);
        length += next.value.length;
      }
    }
    if (parts.length > 1) this.held = Buffer.concat(parts, length);
  }

  private take(bytes: number): Buffer {
    const out = this.held.subarray(0, bytes);
    this.held = this.held.subarray(bytes);
    this.offset += bytes;
    return out;
  }

  /** The next `items` items (fewer at the end), as a DataView over their big-endian bytes; checks the file's end. */
  async read(items: number, left: number): Promise<DataView> {
    const bytes = items * this.itemBytes;
    await this.fill(bytes + (items === left ? 1 : 0));
    const at = `byte offset ${this.offset + this.held.length}${this.where}`;
    if (this.held.length < bytes) {
      const headerAt = `byte offset ${this.header.headerBytes}${this.where}`;
      throw new FormatError(`${this.path}: truncated data at ${at}: ${describeIdxData(this.header)} needs ${this.header.shape[0]! * this.itemBytes} bytes of data from ${headerAt}`);
    }
    const chunk = this.take(bytes);
    if (items === left && (this.held.length > 0 || !this.ended)) {
      throw new FormatError(`${this.path}: trailing garbage at byte offset ${this.offset}${this.where}: bytes after the end of the data (${describeIdxData(this.header)})`);
    }
    return new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }

  facts(): IdxFileFacts {
    const { type, shape } = this.header;
    const typeName = type.decode(new DataView(new ArrayBuffer(0)), 0, 0).constructor.name;
    return { shape, integer: INTEGER_TYPES.includes(type.name), ubyte: type.name === 'ubyte', typeName };
  }
}

/**
 * Streams an IDX image file and the matching label file as batches of `batchSize` images for
 * `net.fit(source, …)`; each call of the returned source reads the files from the start. Memory
 * stays constant: at most one batch and one read chunk (1 MiB) are held per file.
 *
 * @throws ConfigError for bad options (at once); FormatError, ShapeError and DTypeError as
 *   {@link loadIdxImages} (when the files are read).
 */
export function idxBatches(imagesPath: string, labelsPath: string, options: IdxBatchOptions): () => AsyncIterable<IdxBatch> {
  if (typeof options !== 'object' || options === null) throw new ConfigError(`idxBatches: options must be an object { batchSize, scale? }, got ${describe(options)}`);
  checkKnownKeys(options, ['batchSize', 'scale'], 'idxBatches options');
  const batchSize = checkInteger(options.batchSize, 'idxBatches: batchSize', 1);
  const scale = options.scale ?? true;
  if (typeof scale !== 'boolean') throw new ConfigError(`idxBatches: scale must be a boolean, got ${describe(scale)}`);

  return async function* batches(): AsyncGenerator<IdxBatch> {
    const [images, labels] = await Promise.all([IdxItemReader.open(imagesPath), IdxItemReader.open(labelsPath)]);
    try {
      checkImageSet(images.facts(), labels.facts(), imagesPath, labelsPath, scale);
      const items = images.header.shape[0]!;
      const pixels = images.itemBytes / images.header.type.bytes;
      for (let done = 0; done < items; ) {
        const n = Math.min(batchSize, items - done);
        const [imageBytes, labelBytes] = await Promise.all([images.read(n, items - done), labels.read(n, items - done)]);
        const raw = images.header.type.decode(imageBytes, 0, n * pixels);
        const x = new Float32Array(n * pixels);
        if (scale) for (let i = 0; i < x.length; i++) x[i] = raw[i]! / 255;
        else x.set(raw);
        const y = Int32Array.from(labels.header.type.decode(labelBytes, 0, n));
        done += n;
        yield { x: { data: x, shape: [n, pixels] }, y };
      }
    } finally {
      images.close();
      labels.close();
    }
  };
}
