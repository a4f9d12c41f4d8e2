// Under `mpirun -np 1`: the errors of a distributed fit that cannot start, and the network left
// unchanged by each. Prints one JSON line: the error name and message of each attempt.
import { Network, distributed, type FitOptions, type StreamFitOptions } from '../../lib';
import { dataset, network } from './cases';

const world = distributed.init();
const { x, labels } = dataset(32, 1);
const attempt = (net: Network, options: FitOptions, streamed = false): { name: string; message: string; unchanged: boolean } => {
  const before = JSON.stringify(net.getWeights().map((l) => Array.from(l.weight)));
  try {
    if (streamed) net.fitSync(() => [{ x, y: labels }], options as StreamFitOptions);
    else net.fitSync(x, labels, options);
    return { name: 'none', message: '', unchanged: false };
  } catch (e) {
    return { name: (e as Error).name, message: (e as Error).message, unchanged: JSON.stringify(net.getWeights().map((l) => Array.from(l.weight))) === before };
  }
};
const native = new Network(network(1));
const results = {
  notAWorld: attempt(native, { distributed: { ...world } }),
  badOverlap: attempt(native, { distributed: { world, overlap: 'yes' as unknown as boolean } }),
  unknownKey: attempt(native, { distributed: { world, buckets: 2 } as unknown as FitOptions['distributed'] }),
  jsBackend: attempt(new Network(network(1, { backend: 'js' })), { distributed: world }),
  jsBackendStream: attempt(new Network(network(1, { backend: 'js' })), { distributed: world }, true),
  zeroWeights: attempt(native, { distributed: world, sampleWeight: x.map(() => 0) }),
};
distributed.finalize();
const afterFinalize = attempt(native, { distributed: world });
console.log(JSON.stringify({ ...results, afterFinalize }));
