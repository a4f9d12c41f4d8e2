// A child process for test/memory.test.ts: `node --import tsx test/helpers/memory-loop.ts <mode> <count>`.
// Builds native networks in a synchronous loop, with no cleanup call and no --expose-gc, and prints
// RSS samples (MB) as JSON: the garbage collector alone must keep memory bounded.
//   fit-sync: <count> networks of 784-512-10, each trained by fitSync on 128 rows;
//   create-drop: <count> networks of 256-32-10, each used for one predict and dropped.
import { Network } from '../../lib';

const [mode, countText] = process.argv.slice(2);
const count = Number(countText);
const mb = (): number => process.memoryUsage.rss() / 2 ** 20;
const rows = 128;
const inputs = mode === 'fit-sync' ? 784 : 256;
const units = mode === 'fit-sync' ? 512 : 32;
const X = Float32Array.from({ length: rows * inputs }, (_, i) => ((i * 31) % 97) / 97);
const labels = Int32Array.from({ length: rows }, (_, i) => i % 10);
const x = { data: X, shape: [rows, inputs] as [number, number] };
const samples: number[] = [];
const start = mb();
for (let i = 0; i < count; i++) {
  const net = new Network({ inputs, layers: [{ units }, { units: 10 }], loss: 'cross-entropy', seed: i, backend: 'native' });
  if (mode === 'fit-sync') net.fitSync(x, labels, { epochs: 1, batchSize: 32 });
  else net.predict({ data: X.subarray(0, inputs), shape: [1, inputs] });
  if ((i + 1) % Math.ceil(count / 10) === 0) samples.push(mb());
}
process.stdout.write(`${JSON.stringify({ start, samples, perNetworkMB: (4 * (inputs * units + units + units * 10 + 10) * 4) / 2 ** 20 })}\n`);
