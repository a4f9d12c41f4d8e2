// Names the type of a value in error messages ("Float64Array", "null", "string", …).

/** A short description of a value's type for error messages: its class name, `null` or its typeof. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'object') {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== '' ? name : 'object';
  }
  return typeof value;
}
