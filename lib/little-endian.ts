// Float arrays to and from little-endian bytes, whatever the byte order of the machine: on a
// little-endian machine (almost all) the bytes are used as they are, elsewhere every element is
// converted through a DataView. Model files (lib/persistence) and ONNX tensors (lib/onnx.ts) both
// store little-endian data.
import { floatArray, type DType, type FloatArray } from './dtype';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

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
export function fromLittleEndian(bytes: Uint8Array, dtype: DType, length: number): FloatArray {
  const array = floatArray(dtype, length);
  if (LITTLE_ENDIAN) {
    new Uint8Array(array.buffer).set(bytes.subarray(0, array.byteLength));
    return array;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, array.byteLength);
  if (array instanceof Float64Array) for (let i = 0; i < length; i++) array[i] = view.getFloat64(8 * i, true);
  else for (let i = 0; i < length; i++) array[i] = view.getFloat32(4 * i, true);
  return array;
}
