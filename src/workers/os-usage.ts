// A process's resident memory and CPU time read from the operating system, so it works for a worker in any
// language and while it is busy: /proc on Linux (two small file reads), `ps` on other Unix systems.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { WorkerUsage } from './worker-kind.js';

// Linux reports CPU time in clock ticks of 1/USER_HZ s; USER_HZ is 100 on every mainstream architecture.
const ticksPerSecond = 100;

/** Resident memory and CPU time (user + system) of process `pid`; undefined where the system cannot tell. */
export async function readOsUsage(pid: number | undefined): Promise<WorkerUsage | undefined> {
  if (pid === undefined) return undefined;
  if (process.platform === 'linux') return readProc(pid);
  if (process.platform === 'win32') return undefined;
  return readPs(pid);
}

async function readProc(pid: number): Promise<WorkerUsage | undefined> {
  const [status, stat] = await Promise.all([
    readFile(`/proc/${pid}/status`, 'utf8'),
    readFile(`/proc/${pid}/stat`, 'utf8'),
  ]);
  const kilobytes = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  // Fields after the command name, which is in parentheses and may itself hold spaces: utime and stime are the
  // 12th and 13th of them (fields 14 and 15 of proc(5)).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return {
    ...(kilobytes !== undefined && { memoryBytes: Number(kilobytes) * 1024 }),
    ...(Number.isFinite(ticks) && { cpuMs: (ticks * 1000) / ticksPerSecond }),
  };
}

function readPs(pid: number): Promise<WorkerUsage | undefined> {
  return new Promise((resolve) => {
    execFile('ps', ['-o', 'rss=,time=', '-p', String(pid)], { timeout: 2000 }, (error, stdout) => {
      const [rss, time] = error ? [] : stdout.trim().split(/\s+/);
      if (rss === undefined || time === undefined) return resolve(undefined);
      resolve({ memoryBytes: Number(rss) * 1024, cpuMs: psTimeMs(time) });
    });
  });
}

/** `[[dd-]hh:]mm:ss[.cc]` → ms. */
function psTimeMs(time: string): number {
  const [days, clock] = time.includes('-') ? time.split('-') : ['0', time];
  const parts = (clock ?? '').split(':').map(Number);
  const seconds = parts.reduce((total, part) => total * 60 + part, 0);
  return (Number(days) * 86_400 + seconds) * 1000;
}
