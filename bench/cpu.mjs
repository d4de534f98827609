// CPU accounting around a cell, from /proc: how many cores the server, the
// load generator (wrk) and everything else on the machine used. This machine
// is shared: a cell where "others" used a core is not comparable with one
// where they used none, and the table says so. A cell where wrk itself used
// most of a core may have measured wrk rather than the server.
import { readdirSync, readFileSync } from 'node:fs';

// Linux reports /proc times in clock ticks; USER_HZ is 100 on every mainstream architecture.
export const TICKS_PER_SECOND = 100;

/** A load generator (wrk, or one grpc-load.mjs process) above this many cores may be what limits a cell: its req/s would then be the generator's ceiling. */
export const GENERATOR_BOUND_CORES = 0.9;

function machineTicks() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields;
  return { busy: user + nice + system + irq + softirq + steal, steal };
}

/** utime + stime of a process (all its threads) or, with a `/task/<tid>` suffix, of one thread. */
function statTicks(file) {
  try {
    const stat = readFileSync(file, 'utf8');
    // The command name may contain spaces; fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14 and 15 of the file)
  } catch {
    return 0;
  }
}

/**
 * A process and all its descendants: with HTTP_PROCESSES > 1 the service is a
 * primary and its forked HTTP processes, and all of them are the server.
 */
export function processTree(pid) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // exited while we looked
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]) ?? []));
  return tree;
}

const processTicks = (pid) => processTree(pid).reduce((sum, member) => sum + statTicks(`/proc/${member}/stat`), 0);

/**
 * CPU time of the process's main threads (event loops, for Node), in ms, of
 * it and its descendants (the HTTP processes under a primary): worker threads
 * left out.
 */
export const mainThreadCpuMs = (pid) =>
  (processTree(pid).reduce((sum, member) => sum + statTicks(`/proc/${member}/task/${member}/stat`), 0) * 1000) / TICKS_PER_SECOND;

/**
 * Starts measuring; call the returned function at the end of the cell with
 * the CPU seconds the load generator reported for itself: wrk has exited by
 * then, and an exited process is no longer in /proc (the gRPC generators
 * report the CPU of their measured window, and the meter spans that window).
 */
export function cpuMeter(serverPid) {
  // This process alone, not its tree: the servers and the load generators are its children, and are counted apart.
  const selfTicks = () => statTicks(`/proc/${process.pid}/stat`);
  const start = { at: performance.now(), machine: machineTicks(), server: serverPid ? processTicks(serverPid) : 0, self: selfTicks() };
  return (generatorCpuSeconds = 0) => {
    const seconds = (performance.now() - start.at) / 1000;
    const machine = machineTicks();
    const cores = (ticks) => ticks / TICKS_PER_SECOND / seconds;
    const server = serverPid ? cores(processTicks(serverPid) - start.server) : 0;
    // This orchestrating process only waits during a cell; it is ours, so it is not "others" either.
    const bench = cores(selfTicks() - start.self);
    const generator = generatorCpuSeconds / seconds;
    const busy = cores(machine.busy - start.machine.busy);
    return {
      server: round(server),
      loadGenerator: round(generator),
      bench: round(bench),
      others: round(Math.max(0, busy - server - generator - bench)),
      steal: round(cores(machine.steal - start.machine.steal)),
    };
  };
}

/** With several generator processes (gRPC), the busiest of them (`loadGeneratorMax`) is what may limit. */
export const generatorBound = (cpu) => cpu !== undefined && (cpu.loadGeneratorMax ?? cpu.loadGenerator) > GENERATOR_BOUND_CORES;

const round = (x) => Math.round(x * 100) / 100;
