// The HTML training report: one self-contained file (inline CSS and SVG, no scripts, no external
// resources) with the loss and accuracy curves per epoch, per-layer gradient norms, a per-epoch
// table, the configuration, the machine and BLAS backend, and the timings. Used by the MNIST demo
// and by `blasprop train --report`.
import type { BackendInfo } from '../backend';
import type { History } from '../fit';
import { integer, metric, percent, plain, seconds } from './format';
import type { MachineInfo } from './machine-info';
import { escapeXml, lineChart, type ChartSeries } from './svg-chart';

/** The held-out set the per-epoch curves were evaluated on. */
export interface HeldOutSet {
  /** Short name used in legends and tables: `test` or `validation`. */
  name: string;
  /** What the set is and how it was used (e.g. "the MNIST test set, used for reporting only, not for model selection"). */
  description: string;
  /** Loss of the final model on it. */
  loss?: number;
  /** Accuracy of the final model on it. */
  accuracy?: number;
  /** Number of rows. */
  rows?: number;
}

/** Everything the report shows. */
export interface TrainingReportData {
  title: string;
  /** One paragraph under the title. */
  description?: string;
  createdAt: Date;
  /** The history returned by fit; with `diagnostics: true` the gradient-norm chart is drawn. */
  history: History;
  /** Layer names for legends, e.g. "layer 1 (784→800, relu)"; default "layer 1", "layer 2", … */
  layerNames?: readonly string[];
  heldOut?: HeldOutSet;
  /** Rows trained on per epoch. */
  trainRows: number;
  /** Seconds of training steps (sum over epochs, validation excluded). */
  trainingSeconds: number;
  /** Training throughput over the whole run. */
  samplesPerSecond: number;
  /** Other timings in seconds, by label (data loading, validation, saving, …). */
  timings?: Readonly<Record<string, number>>;
  /** The settings the run used, by name. */
  configuration: Readonly<Record<string, string | number | boolean>>;
  backend: BackendInfo;
  machine: MachineInfo;
  /** Extra remarks, one paragraph each. */
  notes?: readonly string[];
}

const STYLE = `
  body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; color: #222; margin: 24px auto; max-width: 1180px; padding: 0 16px; line-height: 1.45; }
  h1 { font-size: 24px; margin: 0 0 4px; }
  h2 { font-size: 18px; margin: 28px 0 10px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
  .muted { color: #666; font-size: 13px; }
  .cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
  .card { border: 1px solid #ddd; border-radius: 6px; padding: 10px 16px; min-width: 150px; }
  .card .value { font-size: 22px; font-weight: 600; }
  .card .label { font-size: 12px; color: #666; }
  .charts { display: flex; flex-wrap: wrap; gap: 16px; }
  .charts figure { margin: 0; border: 1px solid #eee; border-radius: 6px; padding: 4px; }
  figcaption { font-size: 12px; color: #666; padding: 2px 8px 6px; max-width: 524px; }
  table { border-collapse: collapse; font-size: 13px; margin: 4px 0 8px; }
  th, td { border-bottom: 1px solid #eee; padding: 4px 10px; text-align: right; white-space: nowrap; }
  th { background: #fafafa; font-weight: 600; }
  td.text, th.text { text-align: left; white-space: normal; }
  table.kv td:first-child { text-align: left; color: #555; }
  table.kv td:last-child { text-align: left; white-space: normal; word-break: break-word; }
  .columns { display: flex; flex-wrap: wrap; gap: 32px; }
  .columns > div { flex: 1 1 420px; min-width: 0; }
  p.note { font-size: 13px; color: #444; max-width: 900px; }
`;

/** Two charts side by side fit the page's 1180 px (max-width) at this width. */
const CHART_WIDTH = 540;

function card(value: string, label: string): string {
  return `<div class="card"><div class="value">${escapeXml(value)}</div><div class="label">${escapeXml(label)}</div></div>`;
}

function keyValueTable(rows: readonly (readonly [string, string])[]): string {
  const body = rows.map(([k, v]) => `<tr><td>${escapeXml(k)}</td><td>${escapeXml(v)}</td></tr>`).join('\n');
  return `<table class="kv"><tbody>\n${body}\n</tbody></table>`;
}

function figure(svg: string, caption: string): string {
  return `<figure>${svg}<figcaption>${escapeXml(caption)}</figcaption></figure>`;
}

function epochTable(data: TrainingReportData): string {
  const epochs = data.history.epochs;
  const held = data.heldOut?.name ?? 'validation';
  const hasAcc = epochs.some((e) => e.accuracy !== undefined);
  const hasVal = epochs.some((e) => e.valLoss !== undefined);
  const hasValAcc = epochs.some((e) => e.valAccuracy !== undefined);
  const head = ['epoch', 'learning rate', 'train loss', ...(hasAcc ? ['train accuracy'] : []), ...(hasVal ? [`${held} loss`] : []), ...(hasValAcc ? [`${held} accuracy`] : []), 'seconds', 'samples/s'];
  const rows = epochs.map((e) => {
    const cells = [String(e.epoch + 1), String(Number(e.learningRate.toPrecision(4))), metric(e.loss)];
    if (hasAcc) cells.push(e.accuracy === undefined ? '–' : percent(e.accuracy));
    if (hasVal) cells.push(e.valLoss === undefined ? '–' : metric(e.valLoss));
    if (hasValAcc) cells.push(e.valAccuracy === undefined ? '–' : percent(e.valAccuracy));
    cells.push(e.seconds.toFixed(2), integer(e.samplesPerSecond));
    return `<tr>${cells.map((c) => `<td>${escapeXml(c)}</td>`).join('')}</tr>`;
  });
  return `<table><thead><tr>${head.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

function layerName(data: TrainingReportData, l: number): string {
  return data.layerNames?.[l] ?? `layer ${l + 1}`;
}

function diagnosticsTable(data: TrainingReportData): string {
  const last = [...data.history.epochs].reverse().find((e) => e.diagnostics !== undefined);
  if (!last?.diagnostics) return '';
  const rows = last.diagnostics.map((d, l) => {
    const cells = [metric(d.weightGradNorm), metric(d.biasGradNorm), metric(d.activationMean), metric(d.activationStd), d.deadFraction === null ? '–' : percent(d.deadFraction, 1)];
    return `<tr><td class="text">${escapeXml(layerName(data, l))}</td>${cells.map((c) => `<td>${escapeXml(c)}</td>`).join('')}</tr>`;
  });
  const head = ['layer', '‖∂L/∂W‖', '‖∂L/∂b‖', 'mean activation', 'std activation', 'dead units'];
  return [
    `<h2>Layers after the last epoch</h2>`,
    `<p class="note">Statistics of the last training step of epoch ${last.epoch + 1}: gradient norms of the mini-batch loss, mean and standard deviation of the layer's activations over the batch, and for ReLU layers the fraction of units that were 0 for every row of the batch.</p>`,
    `<table><thead><tr>${head.map((h, k) => `<th${k === 0 ? ' class="text"' : ''}>${escapeXml(h)}</th>`).join('')}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`,
  ].join('\n');
}

function charts(data: TrainingReportData): string {
  const epochs = data.history.epochs;
  const held = data.heldOut?.name ?? 'validation';
  const figures: string[] = [];
  const lossSeries: ChartSeries[] = [{ name: 'train (running mean over the epoch)', values: epochs.map((e) => e.loss), dashed: true, color: '#0072B2' }];
  if (epochs.some((e) => e.valLoss !== undefined)) lossSeries.push({ name: held, values: epochs.map((e) => e.valLoss ?? null), color: '#D55E00' });
  figures.push(figure(
    lineChart({ title: 'Loss per epoch', xLabel: 'epoch', yLabel: 'cross-entropy loss', series: lossSeries, xmlns: false, width: CHART_WIDTH }),
    `Mean loss per example. The training loss is averaged over the epoch while the weights change (and with dropout on, if used); the ${held} loss is measured after the epoch.`,
  ));
  if (epochs.some((e) => e.accuracy !== undefined)) {
    const accSeries: ChartSeries[] = [{ name: 'train (running mean over the epoch)', values: epochs.map((e) => e.accuracy ?? null), dashed: true, color: '#0072B2' }];
    if (epochs.some((e) => e.valAccuracy !== undefined)) accSeries.push({ name: held, values: epochs.map((e) => e.valAccuracy ?? null), color: '#D55E00' });
    figures.push(figure(
      lineChart({ title: 'Accuracy per epoch', xLabel: 'epoch', yLabel: 'accuracy', series: accSeries, formatY: (v) => `${Number((100 * v).toPrecision(4))}%`, xmlns: false, width: CHART_WIDTH }),
      `Fraction of examples classified correctly. Final ${held} accuracy: ${data.heldOut?.accuracy === undefined ? '–' : percent(data.heldOut.accuracy)}.`,
    ));
  }
  const withDiagnostics = epochs.filter((e) => e.diagnostics !== undefined);
  if (withDiagnostics.length > 0) {
    const layers = withDiagnostics[0]!.diagnostics!.length;
    const series: ChartSeries[] = Array.from({ length: layers }, (_, l) => ({
      name: layerName(data, l),
      values: epochs.map((e) => e.diagnostics?.[l]?.weightGradNorm ?? null),
      x: epochs.map((e) => e.epoch + 1),
    }));
    figures.push(figure(
      lineChart({ title: 'Gradient norm ‖∂L/∂W‖ per layer', xLabel: 'epoch', yLabel: '‖∂L/∂W‖ (log scale)', series, yScale: 'log', xmlns: false, width: CHART_WIDTH }),
      'L2 norm of the weight gradient of each layer at the last training step of each epoch (log scale). Norms of similar size across layers mean no vanishing or exploding gradients.',
    ));
  }
  return `<div class="charts">\n${figures.join('\n')}\n</div>`;
}

const BACKEND_TEXT = {
  native: 'native (C++ kernels on BLAS through N-API)',
  wasm: 'wasm (the C++ kernels compiled to WebAssembly SIMD128)',
  js: 'js (pure TypeScript)',
} as const;

function backendRows(info: BackendInfo): [string, string][] {
  const rows: [string, string][] = [['backend', BACKEND_TEXT[info.backend]]];
  if (info.blas) {
    rows.push(['BLAS', info.blas.vendor], ['BLAS build', info.blas.config], ['BLAS core type', info.blas.coreType], ['BLAS threads', `${info.blas.threads}${info.blas.adaptiveThreads ? ' (1 for small calls)' : ''}`]);
  }
  if (info.loadError) rows.push(['native addon load error', info.loadError]);
  return rows;
}

/**
 * Renders the report as a complete HTML document (UTF-8). The page has no scripts and refers to
 * no external resource: styles and charts are inline.
 */
export function renderReport(data: TrainingReportData): string {
  const epochs = data.history.epochs;
  const held = data.heldOut;
  const cards: string[] = [];
  if (held?.accuracy !== undefined) cards.push(card(percent(held.accuracy), `${held.name} accuracy`));
  if (held?.loss !== undefined) cards.push(card(metric(held.loss), `${held.name} loss`));
  cards.push(card(seconds(data.trainingSeconds), `training time (${epochs.length} epoch${epochs.length === 1 ? '' : 's'})`));
  cards.push(card(integer(data.samplesPerSecond), 'training samples/s'));
  const timings: [string, string][] = [
    ['training steps (sum over epochs)', seconds(data.trainingSeconds)],
    ...Object.entries(data.timings ?? {}).map(([k, v]): [string, string] => [k, seconds(v)]),
    ['training throughput', `${integer(data.samplesPerSecond)} samples/s (${integer(data.trainRows)} rows per epoch)`],
  ];
  const m = data.machine;
  const machine: [string, string][] = [
    ['CPU', m.cpu],
    ['cores', `${m.physicalCores} physical, ${m.logicalCores} logical`],
    ['memory', `${m.memoryGiB.toFixed(1)} GiB`],
    ['OS', m.os],
    ['Node.js', m.node],
    ...backendRows(data.backend),
  ];
  const configuration = Object.entries(data.configuration).map(([k, v]): [string, string] => [k, typeof v === 'number' ? plain(v) : String(v)]);
  if (held) configuration.push([`${held.name} set`, `${held.rows === undefined ? '' : `${integer(held.rows)} rows: `}${held.description}`]);
  const stop = data.history.stopReason === 'completed' ? '' : ` Training stopped early (${data.history.stopReason}).`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(data.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeXml(data.title)}</h1>
<div class="muted">Generated ${escapeXml(data.createdAt.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))} by blasprop.${escapeXml(stop)}</div>
${data.description ? `<p>${escapeXml(data.description)}</p>` : ''}
<div class="cards">
${cards.join('\n')}
</div>
<h2>Curves</h2>
${charts(data)}
<h2>Epochs</h2>
${epochTable(data)}
${diagnosticsTable(data)}
<div class="columns">
<div>
<h2>Configuration</h2>
${keyValueTable(configuration)}
</div>
<div>
<h2>Machine and backend</h2>
${keyValueTable(machine)}
<h2>Timings</h2>
${keyValueTable(timings)}
</div>
</div>
${(data.notes ?? []).map((n) => `<p class="note">${escapeXml(n)}</p>`).join('\n')}
</body>
</html>
`;
}
