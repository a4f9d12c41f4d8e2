// The backends every cross-backend test runs on. In CI the native addon must be built: its absence
// is a failure (see native-required.test.ts), never a skip.
export const BACKENDS = ['native', 'js'] as const;
export type BackendName = (typeof BACKENDS)[number];
