// Builds an IDX file by hand, for the IDX loader tests: magic 00 00, type code, dimension count,
// big-endian sizes, then the payload as given.
export function idxBytes(typeCode: number, shape: number[], payload: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header[2] = typeCode;
  header[3] = shape.length;
  shape.forEach((size, k) => header.writeUInt32BE(size, 4 + 4 * k));
  return Buffer.concat([header, payload]);
}
