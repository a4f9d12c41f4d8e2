// The CSV that `blasprop predict` writes: one row per input row. For a classifier (softmax output)
// the predicted class name and one probability column per class; otherwise the raw outputs.
import type { Matrix } from '../input';

/** Quotes a CSV field when it holds a delimiter, quote or line break (RFC 4180). */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A probability or output value with 6 significant digits ("0.981234", "1.2e-7"). */
function value(v: number): string {
  return String(Number(v.toPrecision(6)));
}

/**
 * Formats predictions as CSV text with a header row.
 *
 * @param outputs - The network's outputs, one row per input.
 * @param classes - Class names for a classifier (columns `class`, `p_<name>` …); null for raw
 *   outputs (columns `output_0` …).
 */
export function predictionsToCsv(outputs: Matrix, classes: readonly string[] | null): string {
  const [rows, cols] = outputs.shape;
  const data = outputs.data;
  const lines: string[] = [];
  if (classes) {
    lines.push(['class', ...classes.map((c) => `p_${c}`)].map(csvField).join(','));
    for (let r = 0; r < rows; r++) {
      let best = 0;
      for (let c = 1; c < cols; c++) if (data[r * cols + c]! > data[r * cols + best]!) best = c;
      const probabilities: string[] = [];
      for (let c = 0; c < cols; c++) probabilities.push(value(data[r * cols + c]!));
      lines.push([csvField(classes[best]!), ...probabilities].join(','));
    }
  } else {
    lines.push(Array.from({ length: cols }, (_, c) => `output_${c}`).join(','));
    for (let r = 0; r < rows; r++) {
      const cells: string[] = [];
      for (let c = 0; c < cols; c++) cells.push(value(data[r * cols + c]!));
      lines.push(cells.join(','));
    }
  }
  return `${lines.join('\n')}\n`;
}
