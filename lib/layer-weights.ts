// Per-layer views of a flat parameter buffer, and the checks setWeights runs before it writes.
import type { Architecture, ParameterLayout } from './architecture';
import type { DType, FloatArray } from './dtype';
import { DTypeError, NonFiniteError, ShapeError } from './errors';
import { describe } from './options';

/** Weights of one layer: W^l row-major [units × inputs] (like PyTorch's Linear) and b^l [units]. */
export interface LayerWeights<A extends FloatArray = FloatArray> {
  weight: A;
  bias: A;
}

/** What setWeights takes: per layer, typed arrays or plain arrays of numbers. */
export type LayerWeightsInput = readonly LayerWeights[] | readonly { weight: ArrayLike<number>; bias: ArrayLike<number> }[];

/** Views of W^l and b^l per layer into `buffer` (parameters or gradients). */
export function layerViews(architecture: Architecture, layout: ParameterLayout, buffer: FloatArray): LayerWeights[] {
  return architecture.layers.map((layer, l) => {
    const w = layout.weightOffsets[l]!;
    const b = layout.biasOffsets[l]!;
    return { weight: buffer.subarray(w, b), bias: buffer.subarray(b, b + layer.units) };
  });
}

/**
 * Checks that `layers` match `views` in count and sizes and hold only finite numbers (finite in
 * float32 for float32 networks). Throws ShapeError, DTypeError or NonFiniteError naming the entry.
 */
export function checkLayerWeights(layers: unknown, views: LayerWeights[], dtype: DType): asserts layers is LayerWeightsInput {
  if (!Array.isArray(layers) || layers.length !== views.length) {
    throw new ShapeError(`setWeights needs ${views.length} layers, got ${Array.isArray(layers) ? layers.length : describe(layers)}`);
  }
  layers.forEach((layer: unknown, l) => {
    for (const part of ['weight', 'bias'] as const) {
      const source: unknown = (layer as Partial<Record<typeof part, unknown>> | null)?.[part];
      const target = views[l]![part];
      if (!(ArrayBuffer.isView(source) || Array.isArray(source))) throw new DTypeError(`setWeights: layers[${l}].${part} must be an array of numbers, got ${describe(source)}`);
      const values = source as ArrayLike<unknown>;
      if (values.length !== target.length) throw new ShapeError(`setWeights: layers[${l}].${part} has ${values.length} values, expected ${target.length}`);
      for (let k = 0; k < values.length; k++) {
        const v = values[k];
        if (typeof v !== 'number') throw new DTypeError(`setWeights: layers[${l}].${part}[${k}] is ${describe(v)}, not a number`);
        if (!Number.isFinite(v) || (dtype === 'float32' && !Number.isFinite(Math.fround(v)))) {
          throw new NonFiniteError(`setWeights: layers[${l}].${part}[${k}] = ${v} is not finite${dtype === 'float32' ? ' in float32' : ''}`);
        }
      }
    }
  });
}
