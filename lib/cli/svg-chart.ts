// Line charts as inline SVG text, for the HTML training report.
//
// Why hand-written instead of a charting library: the report needs a few small line charts (loss,
// accuracy and gradient norms per epoch) with axes, ticks and a legend, which is about 200 lines of
// code. The widely used charting libraries (Chart.js, D3, Vega, Plotly) draw in the browser with
// JavaScript that would have to be inlined into the report (hundreds of kB) or loaded from the
// network (then the report is no longer self-contained and does not open offline), and a
// dependency-free, well-kept library that writes SVG on the server is not needed for two line
// charts. Writing the SVG directly keeps the report one static file without scripts or network
// access, and keeps blasprop's installed size and dependency list small.

/** One line of a chart: y values at x = 1, 2, 3, … (or at `x`); null or non-finite values leave a gap. */
export interface ChartSeries {
  /** Name shown in the legend. */
  name: string;
  /** The y values. */
  values: readonly (number | null)[];
  /** The x values (default 1, 2, …, values.length). */
  x?: readonly number[];
  /** Stroke colour (default: from a colour-blind-safe palette, by position). */
  color?: string;
  /** Draw dashed (e.g. training curves next to solid test curves). */
  dashed?: boolean;
}

/** Options of {@link lineChart}. */
export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly ChartSeries[];
  /** Pixels; default 560 × 340. */
  width?: number;
  height?: number;
  /** `log` for quantities spanning orders of magnitude (gradient norms); values ≤ 0 are then left out. Default `linear`. */
  yScale?: 'linear' | 'log';
  /** Tick label text of a y value (default: compact decimal). */
  formatY?: (value: number) => string;
  /** Only integer x ticks (epochs). Default true. */
  integerX?: boolean;
  /** Put `xmlns` on the `<svg>` element (needed for a standalone .svg file, not inside HTML). Default true. */
  xmlns?: boolean;
}

/** Okabe–Ito colours, distinguishable with the common forms of colour blindness. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#999999'] as const;

/** Escapes text for XML/HTML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A "nice" step (1, 2, 2.5 or 5 × 10^k) near range / count. */
function niceStep(range: number, count: number): number {
  const raw = range / Math.max(count, 1);
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

interface Axis {
  min: number;
  max: number;
  ticks: number[];
}

/** Linear axis covering [lo, hi] with about `count` nice ticks; the axis ends on ticks. */
function linearAxis(lo: number, hi: number, count: number, integer: boolean): Axis {
  if (lo === hi) {
    const pad = integer ? 1 : Math.abs(lo) * 0.1 || 1;
    lo -= pad;
    hi += pad;
  }
  let step = niceStep(hi - lo, count);
  if (integer) step = Math.max(1, Math.round(step));
  const min = Math.floor(lo / step + 1e-9) * step;
  const max = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let k = 0; min + k * step <= max + step * 1e-9; k++) ticks.push(Number((min + k * step).toPrecision(12)));
  return { min, max, ticks };
}

/** Log axis from the decade below lo to the decade above hi; ticks at powers of ten (and 2, 5 × within a single decade). */
function logAxis(lo: number, hi: number): Axis {
  let a = Math.floor(Math.log10(lo));
  let b = Math.ceil(Math.log10(hi));
  if (a === b) b = a + 1;
  const ticks: number[] = [];
  const decades = b - a;
  const every = Math.max(1, Math.ceil(decades / 8));
  a = Math.floor(a / every) * every;
  for (let e = a; e <= b; e += every) {
    ticks.push(10 ** e);
    if (decades <= 2 && e < b) ticks.push(2 * 10 ** e, 5 * 10 ** e);
  }
  return { min: 10 ** a, max: 10 ** b, ticks: ticks.sort((p, q) => p - q) };
}

/** Default tick text: up to 4 significant digits, exponent form for very small or large values. */
function defaultFormat(value: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e5 || magnitude < 1e-3) {
    const [m, e] = value.toExponential(0).split('e');
    return `${m}e${e}`;
  }
  return String(Number(value.toPrecision(4)));
}

const f = (n: number): string => (Math.round(n * 10) / 10).toString();

/**
 * Renders a line chart as an `<svg>` element (a complete, standalone SVG document fragment with
 * its namespace): title, legend, axes with ticks, grid lines and axis labels, one polyline per run
 * of consecutive finite points of each series, and point markers for short series.
 */
export function lineChart(options: LineChartOptions): string {
  const width = options.width ?? 560;
  const height = options.height ?? 340;
  const log = options.yScale === 'log';
  const integerX = options.integerX ?? true;
  const formatY = options.formatY ?? defaultFormat;
  const series = options.series.map((s, k) => ({
    ...s,
    color: s.color ?? PALETTE[k % PALETTE.length]!,
    xs: s.x ?? s.values.map((_, i) => i + 1),
  }));
  const usable = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v) && (!log || v > 0);

  // Legend rows (wrapped to the width), below the title.
  const legend: { name: string; color: string; dashed: boolean; x: number; row: number }[] = [];
  let lx = 64;
  let row = 0;
  for (const s of series) {
    const itemWidth = 30 + 6.6 * s.name.length + 18;
    if (lx + itemWidth > width - 8 && lx > 64) {
      row++;
      lx = 64;
    }
    legend.push({ name: s.name, color: s.color, dashed: s.dashed ?? false, x: lx, row });
    lx += itemWidth;
  }
  const legendRows = series.length > 0 ? row + 1 : 0;
  const margin = { top: 34 + legendRows * 18 + 8, right: 18, bottom: 48, left: 64 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;

  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of series) {
    s.values.forEach((v, i) => {
      if (usable(v) && Number.isFinite(s.xs[i])) {
        xs.push(s.xs[i]!);
        ys.push(v);
      }
    });
  }
  const hasData = ys.length > 0;
  const xAxis = hasData ? linearAxis(Math.min(...xs), Math.max(...xs), Math.min(10, Math.max(2, Math.round(plotW / 60))), integerX) : linearAxis(0, 1, 5, integerX);
  const yAxis = hasData ? (log ? logAxis(Math.min(...ys), Math.max(...ys)) : linearAxis(Math.min(...ys), Math.max(...ys), 6, false)) : linearAxis(0, 1, 5, false);
  const px = (x: number): number => margin.left + ((x - xAxis.min) / (xAxis.max - xAxis.min)) * plotW;
  const py = (y: number): number => {
    const t = log ? (Math.log10(y) - Math.log10(yAxis.min)) / (Math.log10(yAxis.max) - Math.log10(yAxis.min)) : (y - yAxis.min) / (yAxis.max - yAxis.min);
    return margin.top + plotH - t * plotH;
  };

  const out: string[] = [];
  const namespace = (options.xmlns ?? true) ? ' xmlns="http://www.w3.org/2000/svg"' : '';
  out.push(`<svg${namespace} width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(options.title)}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12">`);
  out.push(`<title>${escapeXml(options.title)}</title>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text class="chart-title" x="${margin.left}" y="20" font-size="14" font-weight="600" fill="#222">${escapeXml(options.title)}</text>`);
  for (const item of legend) {
    const y = 38 + item.row * 18;
    out.push(`<g class="legend-item"><line x1="${f(item.x)}" y1="${y - 4}" x2="${f(item.x + 24)}" y2="${y - 4}" stroke="${item.color}" stroke-width="2.5"${item.dashed ? ' stroke-dasharray="6 4"' : ''}/><text x="${f(item.x + 30)}" y="${y}" fill="#333">${escapeXml(item.name)}</text></g>`);
  }
  // Grid and ticks.
  out.push('<g class="y-axis">');
  for (const t of yAxis.ticks) {
    const y = f(py(t));
    out.push(`<line x1="${margin.left}" y1="${y}" x2="${margin.left + plotW}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${margin.left - 6}" y="${y}" dy="0.32em" text-anchor="end" fill="#555">${escapeXml(formatY(t))}</text>`);
  }
  out.push('</g><g class="x-axis">');
  for (const t of xAxis.ticks) {
    const x = f(px(t));
    out.push(`<line x1="${x}" y1="${margin.top + plotH}" x2="${x}" y2="${margin.top + plotH + 5}" stroke="#555"/>`);
    out.push(`<text x="${x}" y="${margin.top + plotH + 18}" text-anchor="middle" fill="#555">${escapeXml(defaultFormat(t))}</text>`);
  }
  out.push('</g>');
  out.push(`<line class="axis" x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${margin.top + plotH}" stroke="#555"/>`);
  out.push(`<line class="axis" x1="${margin.left}" y1="${margin.top + plotH}" x2="${margin.left + plotW}" y2="${margin.top + plotH}" stroke="#555"/>`);
  out.push(`<text class="axis-label" x="${f(margin.left + plotW / 2)}" y="${height - 10}" text-anchor="middle" fill="#333">${escapeXml(options.xLabel)}</text>`);
  out.push(`<text class="axis-label" transform="translate(16 ${f(margin.top + plotH / 2)}) rotate(-90)" text-anchor="middle" fill="#333">${escapeXml(options.yLabel)}</text>`);
  if (!hasData) {
    out.push(`<text x="${f(margin.left + plotW / 2)}" y="${f(margin.top + plotH / 2)}" text-anchor="middle" fill="#999">no data</text>`);
  }
  // Lines: one polyline per run of consecutive usable points; markers when there are few points.
  for (const s of series) {
    const runs: string[][] = [];
    let current: string[] = [];
    const markers: string[] = [];
    s.values.forEach((v, i) => {
      const x = s.xs[i];
      if (usable(v) && x !== undefined && Number.isFinite(x)) {
        const point = `${f(px(x))},${f(py(v))}`;
        current.push(point);
        markers.push(point);
      } else if (current.length > 0) {
        runs.push(current);
        current = [];
      }
    });
    if (current.length > 0) runs.push(current);
    out.push(`<g class="series" data-name="${escapeXml(s.name)}">`);
    for (const run of runs) {
      out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" stroke-linejoin="round"${s.dashed ? ' stroke-dasharray="6 4"' : ''} points="${run.join(' ')}"/>`);
    }
    if (markers.length <= 60) {
      for (const m of markers) {
        const [x, y] = m.split(',');
        out.push(`<circle cx="${x}" cy="${y}" r="2.5" fill="${s.color}"/>`);
      }
    }
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('\n');
}
