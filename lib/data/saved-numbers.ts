// Validation of number lists read back from saved (JSON) preprocessing state.

/**
 * Checks that `value` is an array of finite numbers and copies it into a Float64Array.
 *
 * @param value - the value read from JSON.
 * @param what - its name in error messages (for example `"mean"`).
 * @param bad - builds the error to throw from a reason.
 */
export function readFiniteNumbers(value: unknown, what: string, bad: (why: string) => Error): Float64Array {
  if (!Array.isArray(value)) throw bad(`${what} must be an array of numbers`);
  const out = new Float64Array(value.length);
  value.forEach((v: unknown, k) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`${what}[${k}] = ${String(v)} is not a finite number`);
    out[k] = v;
  });
  return out;
}
