#!/usr/bin/env node
// The explicit source build, for platforms without a prebuilt package (and for anyone who wants
// their own OpenBLAS): in an installed package, `npm explore blasprop -- npm run build:native` runs
// it. node-gyp (npm's own) builds binding.gyp against the system's shared OpenBLAS into
// build/Release/blasprop.node, which the loader (lib/backends/native.ts) then takes before the
// platform package. The result is checked to load in a child process. The full build log is kept
// in build/build.log. Exits non-zero, with one paragraph on what to install, when OpenBLAS is
// missing or the build fails. blasprop has no install script: nothing builds unless asked.
//
// In the development checkout `npm run build:native` is the cmake-js build into the same
// build/Release; `npm run build:gyp` (scripts/prebuild.js --source) is this node-gyp build there.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const ADDON = path.join(root, 'build', 'Release', 'blasprop.node');

const HELP =
  'blasprop still works without it, on its WebAssembly or TypeScript backend. For the native backend install ' +
  'OpenBLAS and a C++ toolchain, then run this again (`npm explore blasprop -- npm run build:native`): ' +
  'Debian/Ubuntu `sudo apt-get install libopenblas-dev g++ make python3`, ' +
  'Fedora/RHEL `sudo dnf install openblas-devel gcc-c++ make python3`, ' +
  'macOS `brew install openblas` (and `xcode-select --install`).';

function say(message) {
  process.stderr.write(`blasprop: ${message}\n`);
}

/**
 * Loads the addon file in a child process (a crash or a missing shared library cannot take this
 * process down) and asks its BLAS for its facts: { ok: true, file, blas } or { ok: false, reason }.
 */
function tryLoad(file) {
  const code = `
    const binding = require(${JSON.stringify(file)});
    if (typeof binding.NativeNetwork !== 'function') throw new Error(${JSON.stringify(file)} + ' does not export NativeNetwork');
    process.stdout.write(JSON.stringify({ file: ${JSON.stringify(file)}, blas: binding.blasInfo() }));`;
  const env = { ...process.env, OPENBLAS_NUM_THREADS: '1' };
  const child = spawnSync(process.execPath, ['-e', code], { env, encoding: 'utf8', timeout: 60_000 });
  if (child.status === 0) {
    try {
      return { ok: true, ...JSON.parse(child.stdout) };
    } catch {
      // fall through
    }
  }
  const lines = `${child.stderr || ''}${child.error ? child.error.message : ''}`.split('\n').map((l) => l.trim());
  const reason = lines.find((l) => /^(Error|TypeError)\b/.test(l)) || lines.find(Boolean) || `exit ${child.status ?? child.signal}`;
  return { ok: false, reason: reason.replace(/^Error: /, '') };
}

function describe(result) {
  return `${path.relative(root, result.file)} (${result.blas.config.split(' ').slice(0, 2).join(' ')}, ${result.blas.coreType} kernels)`;
}

/**
 * The environment for node-gyp: when no --nodedir is configured and the running Node ships its
 * headers (official tarballs, Debian's nodejs, nvm, … have <prefix>/include/node), use them
 * instead of downloading headers, so a source build also works offline.
 */
function nodeGypEnv(base = process.env) {
  const env = { ...base };
  if (!env.npm_config_nodedir) {
    const prefix = path.resolve(path.dirname(process.execPath), '..');
    const include = path.join(prefix, 'include', 'node');
    if (fs.existsSync(path.join(include, 'node_api.h')) && fs.existsSync(path.join(include, 'common.gypi'))) {
      env.npm_config_nodedir = prefix;
    }
  }
  return env;
}

/** How to run node-gyp: npm's own (npm_config_node_gyp), a local one, else the one on PATH. */
function nodeGypCommand() {
  const candidates = [process.env.npm_config_node_gyp];
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] }));
  } catch {
    // not installed next to us
  }
  const script = candidates.find((c) => c && fs.existsSync(c));
  if (script) return /\.c?js$/.test(script) ? [process.execPath, [script]] : [script, []];
  return ['node-gyp', []];
}

/** Builds build/Release/blasprop.node from source; returns null on success, else the reason. */
function buildFromSource() {
  const check = spawnSync(process.execPath, [path.join(__dirname, 'find-openblas.js'), '--check'], { encoding: 'utf8' });
  if (check.status !== 0) return (check.stderr || 'OpenBLAS not found').trim().replace(/^blasprop: /, '').split('. Install it')[0];

  const [command, prefixArgs] = nodeGypCommand();
  say('building from source with node-gyp and the system OpenBLAS (this can take a minute)…');
  const build = spawnSync(command, [...prefixArgs, 'rebuild', '--release'], {
    cwd: root,
    env: nodeGypEnv({ ...process.env, BLASPROP_OPENBLAS_STATIC: '0' }),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const log = `${build.stdout || ''}${build.stderr || ''}${build.error ? `\n${build.error.message}\n` : ''}`;
  try {
    fs.mkdirSync(path.dirname(ADDON), { recursive: true });
    fs.writeFileSync(path.join(root, 'build', 'build.log'), log);
  } catch {
    // the log is a convenience
  }
  if (build.error || build.status !== 0) {
    // The first compiler or linker error says most; else node-gyp's own complaint.
    const lines = log.split('\n').map((l) => l.trim());
    const detail =
      lines.find((l) => /(\berror:|undefined reference|cannot find -l|No such file or directory)/.test(l) && !l.startsWith('gyp')) ||
      lines.filter((l) => /^gyp ERR! (stack Error|find Python|configure error)|not found/.test(l)).map((l) => l.replace(/^gyp ERR! (stack )?/, ''))[0];
    return `the source build failed${build.error ? ` (${build.error.message})` : ''}${detail ? `: ${detail}` : ''}; full log in ${path.join(root, 'build', 'build.log')}`;
  }
  const loaded = tryLoad(ADDON);
  if (!loaded.ok) {
    fs.rmSync(ADDON, { force: true });
    return `the source build does not load: ${loaded.reason}`;
  }
  say(`built and loaded ${describe(loaded)}.`);
  return null;
}

module.exports = { nodeGypEnv, tryLoad };

if (require.main === module) {
  const reason = buildFromSource();
  if (reason !== null) {
    say(`the native addon is not available: ${reason}. ${HELP}`);
    process.exit(1);
  }
}
