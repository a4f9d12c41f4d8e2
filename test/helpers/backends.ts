// The backends every cross-backend test runs on. In CI the native addon and the WebAssembly module
// must be built: their absence is a failure (see native-required.test.ts), never a skip.
export const BACKENDS = ['native', 'wasm', 'js'] as const;
export type BackendName = (typeof BACKENDS)[number];
