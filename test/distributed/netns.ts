// Two "hosts" on this machine for Open MPI: network namespaces joined by a veth pair. mpirun runs
// in the first; its launch agent starts Open MPI's daemon in the other one with `ip netns exec`, as
// ssh would on another machine, and the ranks talk over the TCP transport only (no shared memory).
// Used by test/distributed.test.ts and bench/distributed.ts; needs root and iproute2.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface TwoHosts {
  hosts: { ns: string; ip: string }[];
  /** The command and arguments that start `mpirun -np <ranks>` across both hosts (slots: ranks / 2 each). */
  mpirun(ranks: number): string[];
  /** Deletes the namespaces (and with them the veth pair). */
  remove(): void;
}

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
}

/** Creates the two hosts (names unique to this process); `dir` receives the launch agent. */
export function twoHosts(dir: string, subnet = 7): TwoHosts {
  const tag = `bp${process.pid % 100000}`;
  const hosts = [{ ns: `${tag}a`, ip: `10.231.${subnet}.1` }, { ns: `${tag}b`, ip: `10.231.${subnet}.2` }];
  const links = [`${tag}va`, `${tag}vb`];
  const remove = (): void => hosts.forEach((h) => spawnSync('ip', ['netns', 'del', h.ns]));
  try {
    hosts.forEach((h) => ip('netns', 'add', h.ns));
    ip('link', 'add', links[0]!, 'type', 'veth', 'peer', 'name', links[1]!);
    hosts.forEach((h, k) => {
      ip('link', 'set', links[k]!, 'netns', h.ns);
      ip('-n', h.ns, 'addr', 'add', `${h.ip}/24`, 'dev', links[k]!);
      ip('-n', h.ns, 'link', 'set', links[k]!, 'up');
      ip('-n', h.ns, 'link', 'set', 'lo', 'up');
    });
  } catch (error) {
    remove();
    throw error;
  }
  const agent = path.join(dir, 'netns-agent.sh');
  fs.writeFileSync(agent, [
    '#!/bin/sh',
    '# Open MPI launch agent: <host> <command…>, run in the network namespace of that host.',
    'host=$1; shift',
    'case "$host" in',
    ...hosts.map((h) => `  ${h.ip}) ns=${h.ns} ;;`),
    '  *) echo "netns agent: unknown host $host" >&2; exit 1 ;;',
    'esac',
    'exec ip netns exec "$ns" sh -c "$*"',
    '',
  ].join('\n'), { mode: 0o755 });
  const cidr = `10.231.${subnet}.0/24`;
  return {
    hosts,
    remove,
    mpirun: (ranks) => [
      'ip', 'netns', 'exec', hosts[0]!.ns, 'mpirun', '-np', String(ranks), '--host', hosts.map((h) => `${h.ip}:${Math.ceil(ranks / 2)}`).join(','),
      '--mca', 'plm_rsh_agent', agent, '--mca', 'btl', 'tcp,self', '--mca', 'btl_tcp_if_include', cidr, '--mca', 'oob_tcp_if_include', cidr,
    ],
  };
}
