// Strict, fast parsing of decimal number text (the numbers of CSV files).

/** Exact powers of ten: 10^0 … 10^22 are all representable in a double. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

const SPACE = 0x20;
const TAB = 0x09;
const PLUS = 0x2b;
const MINUS = 0x2d;
const POINT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const LOWER_E = 0x65;
const UPPER_E = 0x45;

/**
 * Parses a decimal number: optional spaces or tabs, an optional sign, digits with an optional
 * decimal point (at least one digit in all), an optional exponent (`e`/`E`, optional sign,
 * digits), optional spaces or tabs. Anything else — empty text, `NaN`, `Infinity`, hex, `1,5`,
 * `1e` — gives NaN. A number too large for a double gives ±Infinity.
 *
 * The result equals `Number(text)` for every accepted text. Texts with at most 15 significant
 * digits and a net decimal exponent within ±22 (nearly all data) are converted directly: the
 * digits form an exact integer m < 2^53 and 10^k is exact, so the single operation m·10^k or
 * m / 10^k is correctly rounded (Clinger's fast path). Other texts go through `Number`.
 */
export function parseDecimal(text: string): number {
  const n = text.length;
  let i = 0;
  while (i < n && (text.charCodeAt(i) === SPACE || text.charCodeAt(i) === TAB)) i++;
  let negative = false;
  let c = text.charCodeAt(i);
  if (c === PLUS || c === MINUS) {
    negative = c === MINUS;
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  let significant = 0;
  let fractionDigits = 0;
  for (; i < n; i++) {
    c = text.charCodeAt(i);
    if (c < ZERO || c > NINE) break;
    digits++;
    if (mantissa !== 0 || c !== ZERO) significant++;
    mantissa = mantissa * 10 + (c - ZERO);
  }
  if (i < n && text.charCodeAt(i) === POINT) {
    for (i++; i < n; i++) {
      c = text.charCodeAt(i);
      if (c < ZERO || c > NINE) break;
      digits++;
      fractionDigits++;
      if (mantissa !== 0 || c !== ZERO) significant++;
      mantissa = mantissa * 10 + (c - ZERO);
    }
  }
  if (digits === 0) return NaN;
  let exponent = 0;
  if (i < n && (text.charCodeAt(i) === LOWER_E || text.charCodeAt(i) === UPPER_E)) {
    i++;
    let exponentNegative = false;
    c = text.charCodeAt(i);
    if (c === PLUS || c === MINUS) {
      exponentNegative = c === MINUS;
      i++;
    }
    let exponentDigits = 0;
    for (; i < n; i++) {
      c = text.charCodeAt(i);
      if (c < ZERO || c > NINE) break;
      exponentDigits++;
      if (exponent < 1e6) exponent = exponent * 10 + (c - ZERO);
    }
    if (exponentDigits === 0) return NaN;
    if (exponentNegative) exponent = -exponent;
  }
  while (i < n && (text.charCodeAt(i) === SPACE || text.charCodeAt(i) === TAB)) i++;
  if (i !== n) return NaN;

  const scale = exponent - fractionDigits;
  if (significant > 15 || scale > 22 || scale < -22) return Number(text);
  const magnitude = scale >= 0 ? mantissa * POWERS_OF_TEN[scale] : mantissa / POWERS_OF_TEN[-scale];
  return negative ? -magnitude : magnitude;
}
