#!/usr/bin/env node
// `npm run release:pack [-- --out <dir>] [--json]`: every publishable package as a tarball in one folder
// (default release/). Nothing is published; `npm publish <tarball>` each, platform packages first.
//
//   @blasprop/linux-x64-gnu, @blasprop/linux-arm64-gnu: packages/<name>/package.json (os, cpu,
//     libc) and the prebuild from prebuilds/<platform>-<arch>/ (npm run build:prebuild,
//     npm run build:prebuild:arm64) as blasprop.node, and the other files of that directory (the
//     x64 prebuild's libdnnl.so.2, libgomp.so.1, libOpenCL.so.1 and THIRD_PARTY_LICENSES.txt, which
//     the binary finds beside it); each package.json's `files` must list exactly these.
//   blasprop: the files its package.json lists, with a manifest made for users: the platform
//     packages as optionalDependencies at its own version (npm installs the one whose os/cpu/libc
//     match and skips the others), no install script and `gypfile: false` (so npm does not run
//     node-gyp on its own because binding.gyp is there), no devDependencies, and one script,
//     build:native, the explicit source build (scripts/build-from-source.js).
//
// The repository's own package.json cannot list the optional dependencies: `npm ci` would look for
// them in the registry. Each package is staged in a temporary directory and packed there.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const outFlag = process.argv.indexOf('--out');
const out = path.resolve(outFlag > 0 ? process.argv[outFlag + 1] : path.join(root, 'release'));

function die(message) {
  process.stderr.write(`release:pack: ${message}\n`);
  process.exit(1);
}

const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));
const main = readJson(path.join(root, 'package.json'));

/** npm pack of a staged directory into `out`; returns the tarball's file name and size. */
function pack(dir) {
  const json = execFileSync('npm', ['pack', '--json', '--pack-destination', out], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const [result] = JSON.parse(json.slice(json.indexOf('[')));
  return result;
}

function stage(name) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `blasprop-release-${name.replace(/\W+/g, '-')}-`));
}

/** The platform packages: name and directory, each checked against the main package. */
function platformPackages() {
  const dirs = fs.readdirSync(path.join(root, 'packages')).filter((d) => fs.existsSync(path.join(root, 'packages', d, 'package.json')));
  return dirs.map((dir) => {
    const manifest = readJson(path.join(root, 'packages', dir, 'package.json'));
    if (manifest.version !== main.version) die(`packages/${dir}: version ${manifest.version}, but blasprop is ${main.version}`);
    const [platform] = manifest.os;
    const [arch] = manifest.cpu;
    const binary = path.join(root, 'prebuilds', `${platform}-${arch}`, 'blasprop.glibc.node');
    if (!fs.existsSync(binary)) die(`${path.relative(root, binary)} is missing (npm run build:prebuild${arch === process.arch ? '' : `:${arch}`})`);
    return { dir, manifest, binary };
  });
}

function packPlatform({ dir, manifest, binary }) {
  const staged = stage(manifest.name);
  fs.copyFileSync(path.join(root, 'packages', dir, 'package.json'), path.join(staged, 'package.json'));
  const beside = fs.readdirSync(path.dirname(binary)).filter((f) => f !== path.basename(binary));
  const shipped = ['blasprop.node', ...beside];
  if ([...manifest.files].sort().join() !== [...shipped].sort().join()) {
    die(`packages/${dir}/package.json lists files ${manifest.files.join(', ')}, but the prebuild is ${shipped.join(', ')}`);
  }
  fs.copyFileSync(binary, path.join(staged, 'blasprop.node'));
  for (const f of beside) fs.copyFileSync(path.join(path.dirname(binary), f), path.join(staged, f));
  fs.copyFileSync(path.join(root, 'LICENSE'), path.join(staged, 'LICENSE'));
  try {
    return pack(staged);
  } finally {
    fs.rmSync(staged, { recursive: true, force: true });
  }
}

function packMain(platforms) {
  if (!fs.existsSync(path.join(root, 'dist', 'cjs', 'index.js'))) die('dist/ is missing (npm run build:ts)');
  const staged = stage(main.name);
  for (const entry of [...main.files, 'LICENSE']) {
    fs.cpSync(path.join(root, entry), path.join(staged, entry), { recursive: true });
  }
  const manifest = { ...main };
  delete manifest.devDependencies;
  manifest.scripts = { 'build:native': 'node scripts/build-from-source.js' };
  manifest.gypfile = false;
  manifest.optionalDependencies = Object.fromEntries(platforms.map((p) => [p.manifest.name, main.version]));
  fs.writeFileSync(path.join(staged, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  try {
    return pack(staged);
  } finally {
    fs.rmSync(staged, { recursive: true, force: true });
  }
}

fs.mkdirSync(out, { recursive: true });
const platforms = platformPackages();
const results = [...platforms.map(packPlatform), packMain(platforms)];
if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(results));
else for (const r of results) {
  process.stdout.write(`release:pack: ${path.relative(process.cwd(), path.join(out, r.filename))} ${(r.size / 1e6).toFixed(2)} MB packed, ${(r.unpackedSize / 1e6).toFixed(2)} MB unpacked, ${r.files.length} files\n`);
}
