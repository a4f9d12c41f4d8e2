// Parsers of option values for commander: each turns the text of one option into a value or throws
// commander's InvalidArgumentError, which commander reports as
// "error: option '--lr <rate>' argument 'abc' is invalid. <reason>".
import { InvalidArgumentError } from 'commander';

/** Strict decimal number text: what a user means by a number (no hex, no "1e", no empty text). */
const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function parseNumberText(text: string): number {
  const value = NUMBER_TEXT.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isFinite(value)) throw new InvalidArgumentError('Expected a number.');
  return value;
}

/** A number > 0 (learning rate, max-norm). */
export function positiveNumber(text: string): number {
  const value = parseNumberText(text);
  if (!(value > 0)) throw new InvalidArgumentError('Expected a number > 0.');
  return value;
}

/** A number ≥ 0 (weight decay). */
export function nonNegativeNumber(text: string): number {
  const value = parseNumberText(text);
  if (!(value >= 0)) throw new InvalidArgumentError('Expected a number ≥ 0.');
  return value;
}

/** A number in [0, 1) (dropout probability, momentum, validation fraction). */
export function fraction(text: string): number {
  const value = parseNumberText(text);
  if (!(value >= 0 && value < 1)) throw new InvalidArgumentError('Expected a number in [0, 1).');
  return value;
}

/** An integer ≥ 1 (epochs, batch size). */
export function positiveInteger(text: string): number {
  const value = parseNumberText(text);
  if (!Number.isInteger(value) || value < 1) throw new InvalidArgumentError('Expected an integer ≥ 1.');
  return value;
}

/** A seed: an integer in [0, 2^32). */
export function seed(text: string): number {
  const value = parseNumberText(text);
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** 32) throw new InvalidArgumentError('Expected an integer in [0, 4294967295].');
  return value;
}

/** Hidden layer widths: "256,128" → [256, 128]; "none" → [] (no hidden layer: softmax regression). */
export function layerList(text: string): number[] {
  if (text.trim() === 'none') return [];
  const parts = text.split(',').map((s) => s.trim());
  return parts.map((part, k) => {
    const value = NUMBER_TEXT.test(part) ? Number(part) : NaN;
    if (!Number.isInteger(value) || value < 1) {
      throw new InvalidArgumentError(`Expected comma-separated layer widths such as 256,128 (or 'none'); entry ${k + 1} ('${part}') is not an integer ≥ 1.`);
    }
    return value;
  });
}
