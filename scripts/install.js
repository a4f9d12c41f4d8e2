#!/usr/bin/env node
// The npm `install` hook. Makes sure the native addon is there when it can be, and never fails
// the install:
//   1. The binary node-gyp-build will pick at run time (an earlier source build in build/Release,
//      else the prebuilt one in prebuilds/<platform>-<arch>/) loads in a child process: done.
//      (A build/Release that does not load but shadows a working prebuild is removed.)
//   2. Otherwise build from source with node-gyp (binding.gyp, the system's shared OpenBLAS) into
//      build/Release, and check that the result loads.
//   3. If OpenBLAS is missing or the build fails: print one paragraph saying how to install
//      OpenBLAS and that the TypeScript backend will be used, and exit 0.
// `npm install --build-from-source` (or BLASPROP_BUILD_FROM_SOURCE=1) skips step 1.
//
// In a development checkout (lib/*.ts present: the published package has only dist/), build/
// belongs to cmake-js (`npm run build`), so this hook never runs node-gyp there; it only reports
// whether a binary loads. When install scripts never run (--ignore-scripts, npm's allowScripts),
// nothing is lost: lib/backends/native.ts finds the prebuild at load time, else warns and uses the
// TypeScript backend.
//
// npm shows a dependency's install output only when the script fails (or with
// --foreground-scripts); the source build's full log is kept in build/install.log.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const ADDON = path.join(root, 'build', 'Release', 'blasprop.node');

const HELP =
  'blasprop still works, using its pure-TypeScript backend (much slower). For the native backend install ' +
  'OpenBLAS and a C++ toolchain, then run `npm rebuild blasprop` (add --foreground-scripts to see the build): ' +
  'Debian/Ubuntu `sudo apt-get install libopenblas-dev g++ make python3`, ' +
  'Fedora/RHEL `sudo dnf install openblas-devel gcc-c++ make python3`, ' +
  'macOS `brew install openblas` (and `xcode-select --install`).';

function say(message) {
  process.stderr.write(`blasprop: ${message}\n`);
}

/**
 * Loads the addon in a child process (a crash or a missing shared library cannot take this
 * process down) and asks its BLAS for its facts. `file`: an explicit .node file, or null for what
 * node-gyp-build resolves from the package root (with PREBUILDS_ONLY=1 when `prebuildsOnly`).
 */
function tryLoad(file, { prebuildsOnly = false } = {}) {
  const code = `
    const file = ${JSON.stringify(file)} ?? require(${JSON.stringify(require.resolve('node-gyp-build'))}).path(${JSON.stringify(root)});
    const binding = require(file);
    if (typeof binding.NativeNetwork !== 'function') throw new Error(file + ' does not export NativeNetwork');
    process.stdout.write(JSON.stringify({ file, blas: binding.blasInfo() }));`;
  const env = { ...process.env, OPENBLAS_NUM_THREADS: '1' };
  if (prebuildsOnly) env.PREBUILDS_ONLY = '1';
  else delete env.PREBUILDS_ONLY;
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
    fs.writeFileSync(path.join(root, 'build', 'install.log'), log);
  } catch {
    // the log is a convenience
  }
  if (build.error || build.status !== 0) {
    // The first compiler or linker error says most; else node-gyp's own complaint.
    const lines = log.split('\n').map((l) => l.trim());
    const detail =
      lines.find((l) => /(\berror:|undefined reference|cannot find -l|No such file or directory)/.test(l) && !l.startsWith('gyp')) ||
      lines.filter((l) => /^gyp ERR! (stack Error|find Python|configure error)|not found/.test(l)).map((l) => l.replace(/^gyp ERR! (stack )?/, ''))[0];
    return `the source build failed${build.error ? ` (${build.error.message})` : ''}${detail ? `: ${detail}` : ''}; full log in ${path.join(root, 'build', 'install.log')}`;
  }
  const loaded = tryLoad(ADDON);
  if (!loaded.ok) {
    fs.rmSync(ADDON, { force: true });
    return `the source build does not load: ${loaded.reason}`;
  }
  say(`built and loaded ${describe(loaded)}.`);
  return null;
}

function main() {
  const fromSource =
    /^(1|true|blasprop)$/i.test(process.env.BLASPROP_BUILD_FROM_SOURCE || '') ||
    /^(true|blasprop)$/i.test(process.env.npm_config_build_from_source || '');
  const checkout = fs.existsSync(path.join(root, 'lib', 'index.ts'));

  if (checkout) {
    const local = fs.existsSync(ADDON) ? tryLoad(ADDON) : { ok: false, reason: 'not built' };
    if (local.ok) return say(`development checkout: using ${describe(local)}.`);
    const prebuilt = tryLoad(null, { prebuildsOnly: true });
    if (prebuilt.ok) return say(`development checkout: using ${describe(prebuilt)}; \`npm run build\` builds the addon with cmake-js.`);
    return say('development checkout: no native addon yet. Build it with `npm run build` (cmake-js, into build/); this hook does not run node-gyp here, so as not to overwrite that build.');
  }

  let reason;
  if (fromSource) {
    reason = buildFromSource();
  } else {
    // What lib/backends/native.ts will load: node-gyp-build takes build/Release before prebuilds/.
    const runtime = tryLoad(null);
    if (runtime.ok) {
      const local = path.resolve(runtime.file) === ADDON;
      return say(`using ${local ? 'the source build' : 'the prebuilt binary'} ${describe(runtime)}.`);
    }
    const prebuilt = tryLoad(null, { prebuildsOnly: true });
    if (prebuilt.ok) {
      // A broken build/Release from an earlier source build shadowed the prebuild.
      fs.rmSync(path.join(root, 'build'), { recursive: true, force: true });
      return say(`removed a build/Release that does not load (${runtime.reason}); using the prebuilt binary ${describe(prebuilt)}.`);
    }
    say(`no prebuilt binary can be used: ${prebuilt.reason}`);
    reason = buildFromSource();
  }
  if (reason !== null) say(`the native addon is not available: ${reason}. ${HELP}`);
}

module.exports = { nodeGypEnv, nodeGypCommand, tryLoad };

if (require.main === module) {
  try {
    main();
  } catch (e) {
    say(`install check failed unexpectedly (${e && e.message}). ${HELP}`);
  }
  process.exit(0);
}
