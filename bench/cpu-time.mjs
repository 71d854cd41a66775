// CPU time of this process (all its threads) and of every process it started, so a task's cost counts the worker
// side too: `process.cpuUsage()` alone misses child processes, whose time is read from /proc (Linux).
import { readdirSync, readFileSync } from 'node:fs';

const clockTicksPerSecond = 100; // USER_HZ: 100 on every Linux the kernel ABI allows /proc to report in.

/** Microseconds of CPU used so far by this process and its living descendants. */
export function cpuTimeUs() {
  const own = process.cpuUsage();
  return own.user + own.system + descendantTicks() * (1_000_000 / clockTicksPerSecond);
}

function descendantTicks() {
  let entries;
  try {
    entries = readdirSync('/proc');
  } catch {
    return 0; // Not Linux: children are not counted, and the report says CPU is the parent's only.
  }
  const parents = new Map();
  const ticks = new Map();
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // It exited while we looked.
    }
    // The command name, in parentheses, may hold spaces: fields are counted from its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    parents.set(Number(entry), Number(fields[1]));
    ticks.set(Number(entry), Number(fields[11]) + Number(fields[12]));
  }
  let total = 0;
  for (const [pid, value] of ticks) if (isDescendant(pid, parents)) total += value;
  return total;
}

function isDescendant(pid, parents) {
  for (let parent = parents.get(pid); parent !== undefined && parent > 1; parent = parents.get(parent)) {
    if (parent === process.pid) return true;
  }
  return false;
}
