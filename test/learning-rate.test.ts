// Warmup and reduceOnPlateau produce the learning rates they document: checked through the rates
// fit reports per epoch and per step, and against rates computed here by the rules' definitions.
import { describe, expect, it } from 'vitest';
import { ConfigError, Network, type NetworkOptions } from '../lib';
import { resolveSchedule } from '../lib/schedule';
import { PlateauReducer, resolvePlateau } from '../lib/plateau';
import { lcg, randomRows } from './helpers/reference';

const rand = lcg(9);
const X = randomRows(64, 3, rand);
const Y = X.map((r) => [r[0]! - r[1]!]);
const OPTIONS: NetworkOptions = { inputs: 3, layers: [{ units: 4, activation: 'tanh' }, { units: 1 }], loss: 'mse', seed: 2, dtype: 'float64' };

describe('warmup', () => {
  it('warmupEpochs: epoch e < W trains at base·(e+1)/W, then the schedule runs over the remaining epochs', () => {
    const net = new Network(OPTIONS);
    const history = net.fitSync(X, Y, { epochs: 7, learningRate: 0.4, schedule: { type: 'cosine', warmupEpochs: 2 } });
    const cosine = (e: number): number => (0.4 * (1 + Math.cos((Math.PI * e) / 5))) / 2;
    const expected = [0.2, 0.4, cosine(0), cosine(1), cosine(2), cosine(3), cosine(4)];
    history.epochs.forEach((e, i) => expect(e.learningRate).toBeCloseTo(expected[i]!, 15));
  });

  it('warmupSteps: step s trains at rate·(s+1)/S; its updates equal trainStep at those rates', () => {
    const a = new Network(OPTIONS);
    const b = new Network(OPTIONS);
    const rates: number[] = [];
    a.fitSync(X, Y, { epochs: 2, batchSize: 16, shuffle: false, learningRate: 0.1, schedule: { type: 'constant', warmupSteps: 6 } });
    for (let epoch = 0; epoch < 2; epoch++) {
      for (let k = 0; k < 4; k++) {
        const s = epoch * 4 + k;
        const rate = s < 6 ? (0.1 * (s + 1)) / 6 : 0.1;
        rates.push(rate);
        b.trainStep(X.slice(16 * k, 16 * k + 16), Y.slice(16 * k, 16 * k + 16), rate);
      }
    }
    expect(rates.slice(0, 7)).toEqual([0.1 / 6, 0.2 / 6, 0.1 / 2, 0.4 / 6, 0.5 / 6, 0.1, 0.1].map((r) => expect.closeTo(r, 15)) as never);
    expect(a.getWeights()).toEqual(b.getWeights());
  });

  it('bad warmup options are ConfigErrors', () => {
    expect(() => resolveSchedule({ type: 'cosine', warmupEpochs: 1, warmupSteps: 3 }, 5)).toThrow(/warmupEpochs or warmupSteps, not both/);
    expect(() => resolveSchedule({ type: 'step', stepSize: 1, warmupEpochs: 0 }, 5)).toThrow(ConfigError);
    expect(() => resolveSchedule({ type: 'exponential', gamma: 0.5, warmupSteps: 1.5 }, 5)).toThrow(ConfigError);
  });
});

describe('reduceOnPlateau', () => {
  /** Keras's ReduceLROnPlateau, written out from its documentation, for a sequence of metric values. */
  function kerasRates(values: number[], lr: number, o: { factor: number; patience: number; minDelta: number; cooldown: number; minLr: number }): number[] {
    let best = Infinity, wait = 0, cooldown = 0;
    const rates: number[] = [];
    for (const v of values) {
      rates.push(lr); // the rate this epoch trained at
      if (cooldown > 0) {
        cooldown--;
        wait = 0;
      }
      if (v < best - o.minDelta) {
        best = v;
        wait = 0;
      } else if (cooldown === 0) {
        wait++;
        if (wait >= o.patience) {
          if (lr > o.minLr) lr = Math.max(lr * o.factor, o.minLr);
          cooldown = o.cooldown;
          wait = 0;
        }
      }
    }
    return rates;
  }

  it('matches Keras’s rule on a metric sequence with plateaus, cooldown and the floor', () => {
    const values = [1, 0.9, 0.9, 0.95, 0.9, 0.91, 0.92, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85];
    const o = { factor: 0.5, patience: 2, minDelta: 0.001, cooldown: 1, minLr: 0.03 };
    const reducer = new PlateauReducer(resolvePlateau({ factor: 0.5, patience: 2, minDelta: 0.001, cooldown: 1, minLearningRate: 0.03 })!);
    const ours = values.map((v) => {
      const rate = reducer.apply(0.1);
      reducer.observe(v, 0.1);
      return rate;
    });
    expect(ours.map((r) => r.toFixed(12))).toEqual(kerasRates(values, 0.1, o).map((r) => r.toFixed(12)));
    expect(Math.min(...ours)).toBe(0.03);
  });

  it('in fit: the rate falls after `patience` epochs without improvement of the monitored metric', () => {
    const net = new Network(OPTIONS);
    // A learning rate this small leaves the loss flat to within minDelta, so every epoch is a plateau.
    const history = net.fitSync(X, Y, { epochs: 6, learningRate: 1e-9, reduceOnPlateau: { monitor: 'loss', factor: 0.1, patience: 2, minDelta: 1 } });
    expect(history.epochs.map((e) => e.learningRate)).toEqual([1e-9, 1e-9, 1e-9, 1e-10, 1e-10, 1e-11].map((r) => expect.closeTo(r, 20)) as never);
  });

  it('bad options are ConfigErrors; valLoss needs validation data', () => {
    const net = new Network(OPTIONS);
    expect(() => net.fitSync(X, Y, { reduceOnPlateau: { factor: 1 } })).toThrow(ConfigError);
    expect(() => net.fitSync(X, Y, { reduceOnPlateau: { patience: -1 } })).toThrow(ConfigError);
    expect(() => net.fitSync(X, Y, { reduceOnPlateau: { monitor: 'valLoss' } })).toThrow(/reduceOnPlateau.monitor 'valLoss' needs validationData/);
    expect(() => net.fitSync(X, Y, { reduceOnPlateau: { pateince: 3 } as never })).toThrow(/unknown option 'pateince'/);
  });
});
