// Helpers for validating option objects: unknown keys, numbers in range, one-of strings.
import { ConfigError } from './errors';

/** Throws ConfigError for a key of `options` not in `allowed`, suggesting the closest allowed key. */
export function checkKnownKeys(options: object, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(options)) {
    if (allowed.includes(key)) continue;
    const lower = key.toLowerCase();
    const near = allowed.find((a) => a.toLowerCase() === lower);
    throw new ConfigError(`${where}: unknown option '${key}'${near ? ` (did you mean '${near}'?)` : ''}; known options: ${allowed.join(', ')}`);
  }
}

/** Returns `value` if it is a finite number in [min, max] (max exclusive when `maxExclusive`), else throws ConfigError. */
export function checkNumber(value: unknown, name: string, min: number, max = Infinity, maxExclusive = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ConfigError(`${name} must be a finite number, got ${describe(value)}`);
  }
  if (value < min || value > max || (maxExclusive && value === max)) {
    const upper = max === Infinity ? '' : `, ${max}${maxExclusive ? ')' : ']'}`;
    throw new ConfigError(`${name} must be in [${min}${upper || ', ∞)'}, got ${value}`);
  }
  return value;
}

/** Like checkNumber, and the value must be an integer. */
export function checkInteger(value: unknown, name: string, min: number, max = Infinity): number {
  checkNumber(value, name, min, max);
  if (!Number.isInteger(value)) throw new ConfigError(`${name} must be an integer, got ${String(value)}`);
  return value as number;
}

/** Returns `value` if it is one of `choices`, else throws ConfigError listing them. */
export function checkChoice<T extends string>(value: unknown, name: string, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw new ConfigError(`unknown ${name} ${describe(value)}; expected one of ${choices.map((c) => `'${c}'`).join(', ')}`);
  }
  return value as T;
}

/** The value of environment variable `name` if set and non-empty: one of `choices`, else ConfigError listing them. */
export function environmentChoice<T extends string>(name: string, choices: readonly T[]): T | undefined {
  const value = process.env[name];
  if (value === undefined || value === '') return undefined;
  if (!(choices as readonly string[]).includes(value)) {
    throw new ConfigError(`${name} must be one of ${choices.map((c) => `'${c}'`).join(', ')}, got '${value}'`);
  }
  return value as T;
}

/** A short printable form of any value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === null || value === undefined || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return `a ${value.constructor?.name ?? 'object'}`;
}
