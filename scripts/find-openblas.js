#!/usr/bin/env node
// Prints OpenBLAS's include directories (--cflags), linker flags for the shared library (--libs) or
// for the static archive (--static-libs) for binding.gyp: pkg-config first, then the usual paths.
// Exits non-zero with the install command when OpenBLAS is missing. `--check` prints nothing and
// only sets the exit code (scripts/install.js uses it before trying a source build).
//
// OPENBLAS_HOME=<prefix> (with <prefix>/include and <prefix>/lib) overrides the search, for an
// OpenBLAS built by hand; it is the only place looked at when set. BLASPROP_TARGET_TRIPLET (e.g.
// aarch64-linux-gnu, set by `scripts/prebuild.js --arch arm64` for a cross build) looks only at
// Debian's multiarch directories of that target, and not at pkg-config, which describes the host.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

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
// Windows (untested): the import library of vcpkg's or conda's OpenBLAS, passed by absolute path.
const SHARED = ['libopenblas.so', 'libopenblas.dylib', 'openblas.lib', 'libopenblas.lib'];
const STATIC = ['libopenblas.a'];

const INSTALL_HINT =
  'Install it: Debian/Ubuntu `apt-get install libopenblas-dev`, Fedora `dnf install openblas-devel` ' +
  '(static library: `openblas-static`), macOS `brew install openblas`.';

const home = process.env.OPENBLAS_HOME;
const triplet = process.env.BLASPROP_TARGET_TRIPLET;
const includeDirs = home
  ? [path.join(home, 'include'), path.join(home, 'include', 'openblas')]
  : triplet
    ? [`/usr/include/${triplet}/openblas-pthread`, `/usr/include/${triplet}`]
    : INCLUDE_DIRS;
const libDirs = home
  ? [path.join(home, 'lib'), path.join(home, 'lib64')]
  : triplet
    ? [`/usr/lib/${triplet}/openblas-pthread`, `/usr/lib/${triplet}`]
    : LIB_DIRS;

function pkgConfig(...args) {
  if (home || triplet) return null;
  try {
    return execFileSync('pkg-config', [...args, 'openblas'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function fail(what) {
  process.stderr.write(`blasprop: OpenBLAS ${what} not found${home ? ` under OPENBLAS_HOME=${home}` : ''}. ${INSTALL_HINT}\n`);
  process.exit(1);
}

const hasHeaders = (d) => fs.existsSync(path.join(d, 'cblas.h')) && fs.existsSync(path.join(d, 'openblas_config.h'));
const findLib = (dirs, names) => {
  for (const d of dirs) for (const n of names) if (fs.existsSync(path.join(d, n))) return path.join(d, n);
  return null;
};

/** The include directories, or null. */
function includes() {
  const flags = pkgConfig('--cflags-only-I');
  if (flags !== null) {
    const dirs = flags.split(/\s+/).filter(Boolean).map((f) => f.replace(/^-I/, ''));
    // pkg-config prints nothing for /usr/include; check that the headers are really there.
    if ((dirs.length ? dirs : ['/usr/include']).some(hasHeaders)) return dirs;
  }
  const dir = includeDirs.find(hasHeaders);
  return dir ? [dir] : null;
}

/** Linker flags for the shared library, or null. */
function sharedLibs() {
  const flags = pkgConfig('--libs');
  if (flags !== null) {
    const dirs = flags.split(/\s+/).filter((f) => f.startsWith('-L')).map((f) => f.slice(2));
    if (findLib(dirs.length ? dirs : libDirs, [...SHARED, ...STATIC])) return flags;
  }
  const lib = findLib(libDirs, [...SHARED, ...STATIC]);
  if (!lib) return null;
  return lib.endsWith('.lib') ? lib : `-L${path.dirname(lib)} -lopenblas`;
}

/**
 * Linker arguments for the static archive, or null: its absolute path (so the linker cannot pick the
 * shared library instead), then what it needs from the system. libgfortran is not listed: the
 * CBLAS routines the addon calls never reach the Fortran (LAPACK) objects that need it, and the
 * prebuild check (scripts/prebuild.js) fails if a build ever does.
 */
function staticLibs() {
  const variable = pkgConfig('--variable=libdir');
  const dirs = variable ? [variable, ...libDirs] : libDirs;
  const lib = findLib(dirs, STATIC);
  return lib ? `${lib} -lpthread -lm` : null;
}

const mode = process.argv[2];
if (mode === '--cflags') {
  const dirs = includes();
  if (!dirs) fail('headers (cblas.h)');
  process.stdout.write(dirs.join(' '));
} else if (mode === '--libs') {
  const flags = sharedLibs();
  if (!flags) fail('library');
  process.stdout.write(flags);
} else if (mode === '--static-libs') {
  const flags = staticLibs();
  if (!flags) fail('static library (libopenblas.a)');
  process.stdout.write(flags);
} else if (mode === '--check') {
  if (!includes()) fail('headers (cblas.h)');
  if (!sharedLibs()) fail('library');
} else {
  process.stderr.write('usage: find-openblas.js --cflags | --libs | --static-libs | --check\n');
  process.exit(2);
}
