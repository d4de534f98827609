#!/usr/bin/env node
// Bundles the playground page (served at /ui by src/ui) from ui/src into ui/dist with esbuild:
// ui/src/main.ts and every module and stylesheet it imports (Preact, htm, uPlot and its CSS included)
// become playground.js and playground.css; index.html and favicon.svg are copied. No CDN, no inline
// script: the page runs under the service's Content-Security-Policy (script-src 'self').
//
//   node scripts/build-ui.mjs             build (part of `npm run build`)
//   node scripts/build-ui.mjs --if-stale  build only if ui/src, this script or package-lock.json changed
//                                         since the last build (the test suite's global setup uses it)
//
// Files are written to a temporary folder and renamed into ui/dist one by one, so a server or a second
// build running at the same time never reads half a file.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const UI_SRC = join(ROOT, 'ui', 'src');
export const UI_DIST = join(ROOT, 'ui', 'dist');
/** Copied as they are, beside the bundle. */
const STATIC_FILES = ['index.html', 'favicon.svg'];
/** The inputs' hash of the build in ui/dist (a dot file: never served). */
const STAMP = '.inputs-sha256';

function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name))
    .sort();
}

/** One hash of everything the bundle is made from: the sources, this script and the locked dependency versions. */
export function inputsHash() {
  const hash = createHash('sha256');
  for (const file of [...filesUnder(UI_SRC), fileURLToPath(import.meta.url), join(ROOT, 'package-lock.json')]) {
    hash.update(relative(ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

/** True when ui/dist holds a complete build of the current inputs. */
export function isCurrent(hash = inputsHash()) {
  const stamp = join(UI_DIST, STAMP);
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8').trim() !== hash) return false;
  return ['playground.js', 'playground.css', ...STATIC_FILES].every((name) => existsSync(join(UI_DIST, name)));
}

/** Builds ui/dist; returns the files written, name -> bytes. */
export async function buildUi({ ifStale = false } = {}) {
  const hash = inputsHash();
  if (ifStale && isCurrent(hash)) return undefined;
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: { playground: join(UI_SRC, 'main.ts') },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    // What the page's code needs (optional chaining, ResizeObserver, pointer events): browsers of 2020 on.
    target: ['es2020', 'chrome90', 'firefox90', 'safari15'],
    minify: true,
    // Source maps would publish the sources and dependency versions to every visitor, as /docs avoids too.
    sourcemap: false,
    legalComments: 'eof',
    outdir: UI_DIST,
    write: false,
    logLevel: 'warning',
  });
  mkdirSync(UI_DIST, { recursive: true });
  const staging = mkdtempSync(join(UI_DIST, '.build-'));
  const written = {};
  try {
    for (const file of result.outputFiles) {
      const name = relative(UI_DIST, file.path);
      writeFileSync(join(staging, name), file.contents);
      written[name] = file.contents.byteLength;
    }
    for (const name of STATIC_FILES) {
      copyFileSync(join(UI_SRC, name), join(staging, name));
      written[name] = readFileSync(join(staging, name)).byteLength;
    }
    for (const name of Object.keys(written)) renameSync(join(staging, name), join(UI_DIST, name));
    // Files of an earlier build that this one no longer makes.
    for (const entry of readdirSync(UI_DIST, { withFileTypes: true })) {
      if (entry.isFile() && !(entry.name in written) && entry.name !== STAMP) rmSync(join(UI_DIST, entry.name), { force: true });
    }
    writeFileSync(join(staging, STAMP), `${hash}\n`);
    renameSync(join(staging, STAMP), join(UI_DIST, STAMP));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return written;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const written = await buildUi({ ifStale: process.argv.includes('--if-stale') });
  if (!written) {
    console.log(`ui: ${relative(ROOT, UI_DIST)} is current`);
  } else {
    const sizes = Object.entries(written).map(([name, bytes]) => `${name} ${(bytes / 1024).toFixed(1)} kB`);
    console.log(`ui: built ${relative(ROOT, UI_DIST)}: ${sizes.join(', ')}`);
  }
}
