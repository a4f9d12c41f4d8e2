// A save killed with kill -9 leaves its temporary file `.<name>.<pid>.<random>.tmp` beside the
// intact target (lib/persistence/atomic-write.ts); the next save into that directory removes such
// files whose process no longer exists, and keeps those of live processes and every other file.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Network } from '../lib';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'blasprop-stale-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The pid of a process that was killed with SIGKILL and has exited. */
async function deadPid(): Promise<number> {
  const child = spawn('sleep', ['60']);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  return child.pid!;
}

const net = (): Network => new Network({ inputs: 3, layers: [{ units: 2 }], loss: 'mse', seed: 1, backend: 'js' });

for (const mode of ['saveSync', 'save'] as const) {
  it(`${mode} removes the temporary files of dead processes and keeps everything else`, async () => {
    const target = path.join(dir, 'model.blasprop');
    net().saveSync(target);
    const dead = await deadPid();
    const live = spawn('sleep', ['60']);
    try {
      const stale = [`.model.blasprop.${dead}.0123456789ab.tmp`, `.other.blasprop.${dead}.a1b2c3d4e5f6.tmp`];
      const kept = [`.model.blasprop.${live.pid}.0123456789ab.tmp`, `.model.blasprop.${dead}.tmp`, `model.${dead}.0123456789ab.tmp`, 'notes.txt'];
      for (const name of [...stale, ...kept]) fs.writeFileSync(path.join(dir, name), 'partial');
      const second = net();
      if (mode === 'save') await second.save(target);
      else second.saveSync(target);
      expect(fs.readdirSync(dir).sort()).toEqual([...kept, 'model.blasprop'].sort());
      expect(Network.loadSync(target, { backend: 'js' }).getWeights()).toEqual(second.getWeights());
    } finally {
      live.kill('SIGKILL');
    }
  });
}
