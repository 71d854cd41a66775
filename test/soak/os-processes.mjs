// The OS processes the soak started: which children of this process still exist, and whether a pid is alive.
import { readdirSync, readFileSync } from 'node:fs';

/** Pids of the live (not zombie) children of this process, from /proc (Linux); empty elsewhere. */
export function childPids(parent = process.pid) {
  if (process.platform !== 'linux') return [];
  const children = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // it exited while we looked
    }
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(ppid) === parent && state !== 'Z') children.push(Number(entry));
  }
  return children;
}

/** Does process `pid` exist (and is not a zombie)? */
export function isAlive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    try {
      process.kill(pid, 0);
      return process.platform !== 'linux';
    } catch {
      return false;
    }
  }
}
