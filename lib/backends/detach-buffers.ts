// detach-buffers.ts — frees typed arrays' memory at once, for dispose() on the engines that run in
// JavaScript memory (TypeScript and WebAssembly), as the native binding detaches its ArrayBuffers.
import type { FloatArray } from '../engine';

/** Detaches the arrays' buffers (structuredClone transfer); the moved copies are garbage at once. */
export function detachBuffers(arrays: readonly FloatArray[]): void {
  const buffers = arrays.map((a) => a.buffer as ArrayBuffer);
  structuredClone(buffers, { transfer: buffers });
}
