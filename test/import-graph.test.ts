// lib/ has no import circle, type imports included: each module can be read after the ones it
// imports. The graph is read from the sources (every `import … from './…'` and `export … from`).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const lib = path.resolve(__dirname, '..', 'lib');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sources(full);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** The relative imports of a module, resolved to files. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const targets: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gms)) {
    const base = path.resolve(path.dirname(file), m[1]!);
    const candidates = [`${base}.ts`, path.join(base, 'index.ts')];
    const found = candidates.find((c) => fs.existsSync(c));
    if (!found) throw new Error(`${path.relative(lib, file)} imports '${m[1]}', which does not resolve`);
    targets.push(found);
  }
  return targets;
}

/** The first cycle found by depth-first search, as a list of files, or null. */
function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | null => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') return [...stack.slice(stack.indexOf(next)), next];
      if (state.get(next) === undefined) {
        const cycle = visit(next);
        if (cycle) return cycle;
      }
    }
    stack.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of graph.keys()) {
    if (state.get(node) === undefined) {
      const cycle = visit(node);
      if (cycle) return cycle;
    }
  }
  return null;
}

describe('the import graph of lib/', () => {
  const files = sources(lib);
  const graph = new Map(files.map((f) => [f, importsOf(f)]));

  it('is read from every module (sanity: the façade imports the core, fit, persistence)', () => {
    const network = graph.get(path.join(lib, 'network.ts'))!.map((f) => path.relative(lib, f));
    expect(network).toEqual(expect.arrayContaining(['network-core.ts', 'fit.ts', path.join('persistence', 'index.ts')]));
  });

  it('has no cycle, type imports included', () => {
    const cycle = findCycle(graph);
    expect(cycle?.map((f) => path.relative(lib, f)).join(' → ') ?? null).toBeNull();
  });

  it('the cycle finder finds a planted cycle', () => {
    const planted = new Map(graph);
    planted.set(path.join(lib, 'dtype.ts'), [path.join(lib, 'network.ts')]);
    expect(findCycle(planted)).not.toBeNull();
  });
});
