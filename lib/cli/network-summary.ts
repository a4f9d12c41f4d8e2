// Short descriptions of a network's shape for terminal output, legends and reports.
import type { Architecture } from '../architecture';

/** "784-800-10": inputs and the units of every layer. */
export function shapeText(arch: Architecture): string {
  return [arch.inputs, ...arch.layers.map((l) => l.units)].join('-');
}

/** One name per layer: "layer 1 (784→800, relu)", "layer 2 (800→10, softmax)". */
export function layerNames(arch: Architecture): string[] {
  let fanIn = arch.inputs;
  return arch.layers.map((layer, l) => {
    const name = `layer ${l + 1} (${fanIn}→${layer.units}, ${layer.activation})`;
    fanIn = layer.units;
    return name;
  });
}
