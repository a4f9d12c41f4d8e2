// The inline-SVG line charts and the HTML training report: well-formed markup, one polyline point
// per finite value, axes and legends, the numbers given, and nothing loaded from outside.
import { describe, expect, it } from 'vitest';

import type { History } from '../lib';
import { renderReport, type TrainingReportData } from '../lib/cli/report';
import { escapeXml, lineChart } from '../lib/cli/svg-chart';

/** HTML elements that have no closing tag. */
const VOID = new Set(['meta', 'link', 'br', 'hr', 'img', 'input']);

/** Checks that tags nest and close properly (XML-ish); returns the tag names in document order. */
function checkBalanced(markup: string, html: boolean): string[] {
  const stack: string[] = [];
  const names: string[] = [];
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[^\s=>/]+(?:="[^"]*")?)*)\s*(\/?)>/g;
  const text = markup.replace(/<!DOCTYPE[^>]*>/i, '').replace(/<style>[\s\S]*?<\/style>/g, '<style></style>');
  // Every '<' must start a tag we understand.
  expect(text.replace(tag, '')).not.toContain('<');
  for (const m of text.matchAll(tag)) {
    const [, closing, name, , selfClosing] = m;
    names.push(name!);
    if (closing) {
      expect(stack.pop(), `closing </${name}>`).toBe(name);
    } else if (!selfClosing && !(html && VOID.has(name!.toLowerCase()))) {
      stack.push(name!);
    }
  }
  expect(stack).toEqual([]);
  return names;
}

function polylinePoints(svg: string): string[][] {
  return [...svg.matchAll(/<polyline[^>]* points="([^"]*)"/g)].map((m) => m[1]!.split(' '));
}

describe('lineChart', () => {
  const chart = lineChart({
    title: 'Loss per epoch',
    xLabel: 'epoch',
    yLabel: 'cross-entropy loss',
    series: [
      { name: 'train', values: [0.9, 0.5, 0.3, 0.2, 0.15, 0.12, 0.1, 0.09, 0.085, 0.08], dashed: true },
      { name: 'test <held out> & "final"', values: [0.8, 0.55, 0.35, 0.3, 0.28, 0.27, 0.27, 0.26, 0.26, 0.26] },
    ],
  });

  it('is well-formed SVG with a namespace, title, axes and axis labels', () => {
    expect(chart.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(chart.trimEnd().endsWith('</svg>')).toBe(true);
    const names = checkBalanced(chart, false);
    expect(names.filter((n) => n === 'svg')).toHaveLength(2);
    expect(chart).toContain('>Loss per epoch</text>');
    expect(chart).toContain('>epoch</text>');
    expect(chart).toContain('>cross-entropy loss</text>');
    expect(chart.match(/class="axis"/g)).toHaveLength(2);
    expect(chart).not.toMatch(/NaN|Infinity|undefined/);
  });

  it('draws one polyline per series with one point per value, inside the chart', () => {
    const lines = polylinePoints(chart);
    expect(lines).toHaveLength(2);
    expect(lines.map((l) => l.length)).toEqual([10, 10]);
    for (const point of lines.flat()) {
      const [x, y] = point.split(',').map(Number);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(560);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThanOrEqual(340);
    }
    // Lower loss is drawn higher up: y grows down in SVG.
    const train = lines[0]!.map((p) => Number(p.split(',')[1]));
    expect(train[9]).toBeGreaterThan(train[0]!);
    expect(chart).toContain('stroke-dasharray');
  });

  it('has ticks on both axes: integer epochs on x, nice numbers on y', () => {
    const xTicks = [...chart.matchAll(/<text x="[^"]+" y="[^"]+" text-anchor="middle" fill="#555">([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(xTicks.length).toBeGreaterThanOrEqual(3);
    for (const t of xTicks) expect(t).toMatch(/^\d+$/);
    const yTicks = [...chart.matchAll(/text-anchor="end" fill="#555">([^<]*)<\/text>/g)].map((m) => Number(m[1]));
    expect(yTicks.length).toBeGreaterThanOrEqual(3);
    expect(Math.min(...yTicks)).toBeLessThanOrEqual(0.08);
    expect(Math.max(...yTicks)).toBeGreaterThanOrEqual(0.9);
  });

  it('has a legend with the escaped series names', () => {
    expect(chart).toContain('>train</text>');
    expect(chart).toContain(`>${escapeXml('test <held out> & "final"')}</text>`);
    expect(chart).not.toContain('<held out>');
    expect(chart.match(/class="legend-item"/g)).toHaveLength(2);
  });

  it('splits a line at missing values and leaves out values ≤ 0 on a log scale', () => {
    const svg = lineChart({
      title: 'norms',
      xLabel: 'epoch',
      yLabel: 'norm',
      yScale: 'log',
      series: [{ name: 'layer 1', values: [1e-3, 2e-3, null, 0.5, 0, 2, 3] }],
    });
    checkBalanced(svg, false);
    expect(polylinePoints(svg).map((l) => l.length)).toEqual([2, 1, 2]);
    const yTicks = [...svg.matchAll(/text-anchor="end" fill="#555">([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(yTicks).toContain('0.001');
    expect(yTicks).toContain('10');
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  it('copes with a single point, a constant series and no data', () => {
    for (const values of [[0.5], [2, 2, 2], [] as number[]]) {
      const svg = lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', values }] });
      checkBalanced(svg, false);
      expect(svg).not.toMatch(/NaN|Infinity/);
      expect(polylinePoints(svg).flat()).toHaveLength(values.length);
    }
  });

  it('leaves out the namespace for inline use in HTML', () => {
    expect(lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [], xmlns: false })).not.toContain('xmlns');
  });
});

describe('renderReport', () => {
  const diagnostics = (scale: number) => [
    { weightGradNorm: 0.25 * scale, biasGradNorm: 0.05, activationMean: 0.4, activationStd: 0.6, deadFraction: 0.125 },
    { weightGradNorm: 0.5 * scale, biasGradNorm: 0.1, activationMean: 0.1, activationStd: 0.2, deadFraction: null },
  ];
  const history: History = {
    epochs: [0, 1, 2].map((epoch) => ({
      epoch,
      loss: [0.3456, 0.1234, 0.0789][epoch]!,
      accuracy: [0.9012, 0.9634, 0.9876][epoch]!,
      valLoss: [0.2345, 0.1111, 0.0654][epoch]!,
      valAccuracy: [0.9321, 0.9712, 0.9851][epoch]!,
      learningRate: [0.1, 0.075, 0.025][epoch]!,
      seconds: [3.21, 3.02, 2.98][epoch]!,
      samplesPerSecond: [18691, 19867, 20134][epoch]!,
      diagnostics: diagnostics(1 / (epoch + 1)),
    })),
    loss: [0.3456, 0.1234, 0.0789],
    stopReason: 'completed',
  };
  const data: TrainingReportData = {
    title: 'MNIST <demo> report',
    description: 'A test report.',
    createdAt: new Date('2025-01-02T03:04:05Z'),
    history,
    layerNames: ['layer 1 (784→800, relu)', 'layer 2 (800→10, softmax)'],
    heldOut: { name: 'test', description: 'the MNIST test set, for reporting only', rows: 10000, loss: 0.0654, accuracy: 0.9851 },
    trainRows: 60000,
    trainingSeconds: 9.21,
    samplesPerSecond: 19544,
    timings: { 'loading MNIST': 0.61, 'saving the model': 0.05 },
    configuration: { network: '784-800-10', 'batch size': 64, 'learning rate': 0.1, shuffle: true },
    backend: { backend: 'native', addonPath: '/x/blasprop.node', blas: { vendor: 'OpenBLAS', config: 'OpenBLAS 0.3.21 Zen', coreType: 'Zen', threads: 2, adaptiveThreads: true, onednn: null } },
    machine: { cpu: 'AMD EPYC Test CPU', logicalCores: 2, physicalCores: 2, memoryGiB: 23.5, os: 'Linux 6.1 x64', node: 'v20.0.0' },
    notes: ['A note.'],
  };
  const html = renderReport(data);

  it('is a complete, well-formed HTML document', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    const names = checkBalanced(html, true);
    for (const n of ['html', 'head', 'body', 'title', 'style', 'table']) expect(names).toContain(n);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toContain('<title>MNIST &lt;demo&gt; report</title>');
  });

  it('contains the numbers it was given', () => {
    for (const text of [
      '98.51%', // final test accuracy
      '0.0654', // final test loss
      '9.21 s', // training time
      '19,544', // samples/s
      '60,000', // rows per epoch
      '10,000 rows',
      '90.12%', '96.34%', '98.76%', // train accuracy per epoch
      '93.21%', '97.12%', // test accuracy per epoch
      '0.3456', '0.1234', '0.0789', '0.2345', '0.1111',
      '0.075', '0.025', // learning rates
      '3.21', '18,691', '20,134',
      '0.61 s', 'loading MNIST', 'saving the model',
      '784-800-10', 'batch size', '64', 'true',
      'OpenBLAS 0.3.21 Zen', 'AMD EPYC Test CPU', '2 physical, 2 logical', '23.5 GiB', 'v20.0.0',
      'the MNIST test set, for reporting only',
      'layer 1 (784→800, relu)', '12.5%', 'A note.', '2025-01-02 03:04:05 UTC',
    ]) {
      expect(html, text).toContain(text);
    }
  });

  it('has the loss, accuracy and gradient-norm charts with one point per epoch', () => {
    const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs).toHaveLength(3);
    expect(svgs[0]).toContain('Loss per epoch');
    expect(svgs[1]).toContain('Accuracy per epoch');
    expect(svgs[2]).toContain('Gradient norm');
    expect(polylinePoints(svgs[0]!).map((l) => l.length)).toEqual([3, 3]);
    expect(polylinePoints(svgs[1]!).map((l) => l.length)).toEqual([3, 3]);
    expect(polylinePoints(svgs[2]!).map((l) => l.length)).toEqual([3, 3]);
    expect(svgs[1]).toMatch(/>9\d(\.\d+)?%<\/text>/);
  });

  it('has one table row per epoch', () => {
    const table = /<h2>Epochs<\/h2>\s*<table>([\s\S]*?)<\/table>/.exec(html)![1]!;
    expect(table.match(/<tr>/g)).toHaveLength(4); // header + 3 epochs
  });

  it('is self-contained: no scripts, no external URLs or resources', () => {
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|\bsrc=|\bhref=/i);
  });

  it('works without a held-out set and without diagnostics', () => {
    const plain: History = { ...history, epochs: history.epochs.map(({ valLoss: _a, valAccuracy: _b, diagnostics: _c, ...rest }) => rest) };
    const { heldOut: _h, ...rest } = data;
    const page = renderReport({ ...rest, history: plain });
    checkBalanced(page, true);
    expect(page.match(/<svg/g)).toHaveLength(2);
    expect(page).not.toContain('Gradient norm');
  });
});
