#!/usr/bin/env node
// `npm run sysroot:arm64`: Debian's arm64 Node.js (nodejs 18 of Debian 12) unpacked with its arm64
// libraries into build/arm64-sysroot/root, so that test/arm64.test.ts can run the linux-arm64
// prebuild under qemu-user:
//   qemu-aarch64-static -L build/arm64-sysroot/root build/arm64-sysroot/root/usr/bin/node script.js
// The arm64 nodejs package cannot be installed beside the amd64 one, so its packages are fetched
// with `apt-get download` (needs `dpkg --add-architecture arm64 && apt-get update`) and unpacked
// with `dpkg -x`. What is unpacked: nodejs:arm64 and, from `apt-cache depends --recurse`, every
// library it needs (the arm64 packages marked Multi-Arch: same) and the node-* packages whose JavaScript Debian's Node loads as
// builtins from /usr/share/nodejs (Architecture: all, listed as <node-acorn:arm64> and the like).
// The .deb files stay in build/arm64-sysroot/debs; a second run with the same package list does
// nothing.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const base = path.join(root, 'build', 'arm64-sysroot');
const debs = path.join(base, 'debs');
const sysroot = path.join(base, 'root');
const stamp = path.join(base, 'packages.txt');

function sh(command, args, options = {}) {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
}

/** The packages to unpack, sorted: nodejs:arm64, its arm64 libraries, the node-* builtins. */
function packages() {
  const lines = sh('apt-cache', [
    'depends', '--recurse', '--no-recommends', '--no-suggests', '--no-conflicts', '--no-breaks', '--no-replaces', '--no-enhances',
    'nodejs:arm64',
  ]).split('\n').filter((l) => l && !l.startsWith(' '));
  const names = new Set(['nodejs:arm64']);
  const arm64 = lines.filter((l) => /^[\w.+-]+:arm64$/.test(l));
  // Libraries are the arm64 packages marked Multi-Arch: same (dpkg, tar, openssl, … are not).
  const records = sh('apt-cache', ['show', '--no-all-versions', ...arm64]).split(/\n\n+/);
  for (const record of records) {
    const name = /^Package: (\S+)$/m.exec(record)?.[1];
    if (name && /^Multi-Arch: same$/m.test(record)) names.add(`${name}:arm64`);
  }
  for (const line of lines) {
    const builtin = /^<(node-[\w.+-]+):arm64>$/.exec(line);
    if (builtin) names.add(builtin[1]);
  }
  if (!names.has('nodejs:arm64') || !names.has('libnode108:arm64')) {
    throw new Error(
      'apt-cache does not know nodejs:arm64 and libnode108:arm64; run `dpkg --add-architecture arm64 && apt-get update` first',
    );
  }
  return [...names].sort();
}

function main() {
  const wanted = packages();
  const node = path.join(sysroot, 'usr', 'bin', 'node');
  if (fs.existsSync(node) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === wanted.join('\n')) {
    process.stdout.write(`arm64 sysroot: up to date (${path.relative(root, sysroot)}, ${wanted.length} packages)\n`);
    return;
  }
  fs.rmSync(base, { recursive: true, force: true });
  fs.mkdirSync(debs, { recursive: true });
  // _apt cannot write into a root-owned directory; the download then runs as root, which is what we are.
  sh('apt-get', ['download', '-o', 'APT::Sandbox::User=root', ...wanted], { cwd: debs });
  for (const deb of fs.readdirSync(debs).filter((f) => f.endsWith('.deb'))) sh('dpkg', ['-x', path.join(debs, deb), sysroot]);
  if (!fs.existsSync(node)) throw new Error(`${node} is missing after unpacking nodejs:arm64`);
  fs.writeFileSync(stamp, wanted.join('\n'));
  process.stdout.write(`arm64 sysroot: ${path.relative(root, sysroot)} from ${wanted.length} packages: ${wanted.join(' ')}\n`);
}

try {
  main();
} catch (e) {
  process.stderr.write(`arm64-sysroot: ${e.stderr || e.message}\n`);
  process.exit(1);
}
