// CRC-32 (ISO-HDLC / IEEE 802.3: reflected polynomial 0xEDB88320, initial value and final XOR
// 0xFFFFFFFF), the checksum of zlib, gzip and PNG. zlib.crc32 exists only from Node 22.2 on, so
// blasprop carries this small table-driven version (one table lookup per byte).

/** CRC-32 lookup table for the reflected polynomial 0xEDB88320. */
const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * The CRC-32 of `bytes`, as an unsigned 32-bit integer (the value `zlib.crc32` returns).
 *
 * @param bytes - The data to checksum.
 * @param previous - The CRC-32 of the data before `bytes`, to checksum data in pieces (default 0).
 * @returns The CRC-32 in [0, 2^32).
 */
export function crc32(bytes: Uint8Array, previous = 0): number {
  let c = ~previous >>> 0;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
