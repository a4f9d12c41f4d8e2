// Float arrays to and from little-endian bytes, whatever the byte order of the machine: on a
// little-endian machine (almost all) the bytes are copied as they are, elsewhere every element
// is converted through a DataView.
import * as os from 'node:os';
import type { FloatArray } from '../engine';

const LITTLE_ENDIAN = os.endianness() === 'LE';

/**
 * The little-endian bytes of `array`: a view of its memory on little-endian machines, a
 * converted copy elsewhere.
 */
export function littleEndianBytes(array: FloatArray): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  const bytes = new Uint8Array(array.byteLength);
  const view = new DataView(bytes.buffer);
  if (array instanceof Float64Array) for (let i = 0; i < array.length; i++) view.setFloat64(8 * i, array[i]!, true);
  else for (let i = 0; i < array.length; i++) view.setFloat32(4 * i, array[i]!, true);
  return bytes;
}

/** A new array of `length` elements of `dtype` read from little-endian `bytes` (at least length × 4 or 8 bytes). */
export function fromLittleEndian(bytes: Uint8Array, dtype: 'float32' | 'float64', length: number): FloatArray {
  const array = dtype === 'float64' ? new Float64Array(length) : new Float32Array(length);
  if (LITTLE_ENDIAN) {
    new Uint8Array(array.buffer).set(bytes.subarray(0, array.byteLength));
    return array;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, array.byteLength);
  if (array instanceof Float64Array) for (let i = 0; i < length; i++) array[i] = view.getFloat64(8 * i, true);
  else for (let i = 0; i < length; i++) array[i] = view.getFloat32(4 * i, true);
  return array;
}
