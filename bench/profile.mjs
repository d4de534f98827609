// Where the service's time goes: summarises the .cpuprofile files written by
// `node --cpu-prof` (one per thread: the main thread and each inference
// worker) as the functions with the most self time, and what share of the
// samples is idle, garbage collection, or native code ("(program)").
//
// Usage: node bench/profile.mjs <dir-with-cpuprofiles> [top=20]
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatTable, ms } from './table.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');

/**
 * Self time per function (ms), from one profile. `window` = [fromEndMs, toEndMs]
 * keeps only samples taken that long before the profile's end (the measured
 * cell), so start-up (module loading, model loading) does not drown it.
 */
export function selfTimes(profile, window) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  const byPackage = new Map();
  const { samples, timeDeltas } = profile;
  const times = new Float64Array(samples.length);
  let t = profile.startTime;
  for (let i = 0; i < samples.length; i++) times[i] = t += timeDeltas[i];
  const from = window ? profile.endTime - window[0] * 1000 : -Infinity;
  const to = window ? profile.endTime - window[1] * 1000 : Infinity;
  for (let i = 0; i < samples.length; i++) {
    if (times[i] < from || times[i] > to) continue;
    // timeDeltas[i + 1] is the time until the next sample: the time spent where sample i was taken.
    const dt = (timeDeltas[i + 1] ?? 0) / 1000;
    const frame = byId.get(samples[i]).callFrame;
    const file = frame.url ? shorten(frame.url) : '';
    const where = file ? `${file}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName || '(anonymous)'}\t${where}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    const pkg = packageOf(file, frame.functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + dt);
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  return {
    total,
    entries: [...self.entries()].map(([key, time]) => ({ name: key.split('\t')[0], where: key.split('\t')[1], ms: time })).sort((a, b) => b.ms - a.ms),
    packages: [...byPackage.entries()].map(([name, time]) => ({ name, ms: time })).sort((a, b) => b.ms - a.ms),
  };
}

/** Where a function lives, coarsely: an npm package, the service's own code, Node itself, or native/GC. */
function packageOf(file, functionName) {
  if (!file) return functionName?.startsWith('(') ? functionName : '(native: builtins, I/O)';
  if (file.startsWith('node:')) return 'node: (core modules)';
  if (file.startsWith('dist/')) return `service: ${file.split('/').slice(1, 2).join('/')}`;
  if (!file.startsWith('/')) {
    const parts = file.split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  return file;
}

function shorten(url) {
  const file = url.startsWith('file://') ? new URL(url).pathname : url;
  const nm = file.lastIndexOf('node_modules/');
  if (nm >= 0) return file.slice(nm + 'node_modules/'.length);
  return file.startsWith(ROOT) ? path.relative(ROOT, file) : file;
}

/** One section per thread: busy time, and the top functions by self time (idle excluded from shares). */
export async function summariseProfiles(dir, top = 20, window) {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).sort();
  const sections = [];
  const threads = [];
  for (const file of files) {
    const profile = JSON.parse(await readFile(path.join(dir, file), 'utf8'));
    const { total, entries, packages } = selfTimes(profile, window);
    const idle = entries.filter((e) => e.name === '(idle)').reduce((a, e) => a + e.ms, 0);
    const busy = total - idle;
    const rows = entries
      .filter((e) => e.name !== '(idle)')
      .slice(0, top)
      .map((e) => [e.name.slice(0, 48), e.where.slice(0, 60), ms(e.ms), `${((e.ms / busy) * 100).toFixed(1)}%`]);
    const busyPackages = packages.filter((p) => p.name !== '(idle)');
    threads.push({ file, totalMs: total, busyMs: busy, top: entries.filter((e) => e.name !== '(idle)').slice(0, top), packages: busyPackages });
    const packageRows = busyPackages.slice(0, 12).map((p) => [p.name, ms(p.ms), `${((p.ms / busy) * 100).toFixed(1)}%`]);
    sections.push(
      `${file}: ${ms(total)} ms profiled, ${ms(busy)} ms busy (${((busy / total) * 100).toFixed(0)}%)\n` +
        formatTable(['package (self time)', 'self ms', '% busy'], packageRows) +
        '\n\n' +
        formatTable(['function', 'where', 'self ms', '% busy'], rows, ['l', 'l', 'r', 'r']),
    );
  }
  return { text: sections.join('\n\n'), threads };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { text } = await summariseProfiles(process.argv[2], Number(process.argv[3] ?? 20));
  console.log(text);
}
