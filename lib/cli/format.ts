// Number and duration formatting shared by the CLI's terminal output and the HTML report.

/** 0.98512 → "98.51%". */
export function percent(value: number, digits = 2): string {
  return `${(100 * value).toFixed(digits)}%`;
}

/** 14231.7 → "14,232" (thousands separators, no locale dependence). */
export function integer(value: number): string {
  return Math.round(value)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A loss or other metric with 4 significant decimals: 0.071234 → "0.0712", 1.23456 → "1.2346". */
export function metric(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value !== 0 && Math.abs(value) < 1e-3) return value.toExponential(2);
  return value.toFixed(4);
}

/** Seconds as "4.2 s" (under a minute) or "3m07s" / "1h02m". */
export function seconds(value: number): string {
  if (!Number.isFinite(value)) return '?';
  if (value < 60) return `${value.toFixed(value < 10 ? 2 : 1)} s`;
  return duration(value);
}

/** A coarse duration for ETAs: "7s", "3m07s", "1h02m". */
export function duration(value: number): string {
  if (!Number.isFinite(value) || value < 0) return '?';
  const s = Math.round(value);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** A number for a table: integers as they are, others with up to 6 significant digits. */
export function plain(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(6)));
}
