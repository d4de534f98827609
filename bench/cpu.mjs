// CPU accounting around a cell, from /proc: how many cores the server, this
// process (the load generator) and everything else on the machine used. This
// machine is shared: a cell where "others" used a core is not comparable with
// one where they used none, and the table says so.
import { readFileSync } from 'node:fs';

// Linux reports /proc times in clock ticks; USER_HZ is 100 on every mainstream architecture.
const TICKS_PER_SECOND = 100;

function machineTicks() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields;
  return { busy: user + nice + system + irq + softirq + steal, steal };
}

function processTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces; fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14 and 15 of the file)
  } catch {
    return 0;
  }
}

/** Starts measuring; call the returned function at the end of the cell. */
export function cpuMeter(serverPid) {
  const start = { at: performance.now(), machine: machineTicks(), server: serverPid ? processTicks(serverPid) : 0, self: processTicks(process.pid) };
  return () => {
    const seconds = (performance.now() - start.at) / 1000;
    const machine = machineTicks();
    const cores = (ticks) => ticks / TICKS_PER_SECOND / seconds;
    const server = serverPid ? cores(processTicks(serverPid) - start.server) : 0;
    const self = cores(processTicks(process.pid) - start.self);
    const busy = cores(machine.busy - start.machine.busy);
    return {
      server: round(server),
      loadGenerator: round(self),
      others: round(Math.max(0, busy - server - self)),
      steal: round(cores(machine.steal - start.machine.steal)),
    };
  };
}

const round = (x) => Math.round(x * 100) / 100;
