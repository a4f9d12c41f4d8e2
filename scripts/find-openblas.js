#!/usr/bin/env node
// Prints OpenBLAS's include directories (--cflags) or linker flags (--libs) for binding.gyp:
// pkg-config first, then the usual paths; exits non-zero with the install command when missing.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const mode = process.argv[2];
const INCLUDE_DIRS = [
  '/usr/include/x86_64-linux-gnu/openblas-pthread', '/usr/include/aarch64-linux-gnu/openblas-pthread',
  '/usr/include/openblas', '/usr/include', '/usr/local/include', '/opt/homebrew/opt/openblas/include',
  '/usr/local/opt/openblas/include',
];
const LIB_DIRS = [
  '/usr/lib/x86_64-linux-gnu/openblas-pthread', '/usr/lib/aarch64-linux-gnu/openblas-pthread',
  '/usr/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib', '/opt/homebrew/opt/openblas/lib',
  '/usr/local/opt/openblas/lib',
];

function pkgConfig(flag) {
  try {
    return execFileSync('pkg-config', [flag, 'openblas'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function fail() {
  process.stderr.write(
    'blasprop: OpenBLAS not found. Install it: Debian/Ubuntu `apt-get install libopenblas-dev`, ' +
      'Fedora `dnf install openblas-devel`, macOS `brew install openblas`.\n',
  );
  process.exit(1);
}

if (mode === '--cflags') {
  const flags = pkgConfig('--cflags-only-I');
  if (flags !== null) {
    process.stdout.write(flags.split(/\s+/).filter(Boolean).map((f) => f.replace(/^-I/, '')).join(' ') || '');
  } else {
    const dir = INCLUDE_DIRS.find((d) => fs.existsSync(path.join(d, 'cblas.h')) && fs.existsSync(path.join(d, 'openblas_config.h')));
    if (!dir) fail();
    process.stdout.write(dir);
  }
} else if (mode === '--libs') {
  const flags = pkgConfig('--libs');
  if (flags !== null) {
    process.stdout.write(flags);
  } else {
    const dir = LIB_DIRS.find((d) => ['libopenblas.so', 'libopenblas.dylib', 'libopenblas.a'].some((f) => fs.existsSync(path.join(d, f))));
    if (!dir) fail();
    process.stdout.write(`-L${dir} -lopenblas`);
  }
} else {
  process.stderr.write('usage: find-openblas.js --cflags | --libs\n');
  process.exit(2);
}
