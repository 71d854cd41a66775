// No orphans: when the process that owns workers dies, even by SIGKILL, its workers exit on their own.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const parentScript = fileURLToPath(new URL('./fixtures/orphan-parent.mjs', import.meta.url));
const commandScript = fileURLToPath(new URL('./fixtures/garbage-command.mjs', import.meta.url));

/** Gone, or a zombie: it has exited, and only waits for a reaper that a container's PID 1 may never be. */
function hasExited(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /s, '')
      .startsWith('Z');
  } catch {
    return true; // reaped between the two reads
  }
}

describe('a parent killed by SIGKILL', () => {
  it('leaves no process worker or command worker running', async () => {
    const parent = spawn(process.execPath, [parentScript, process.execPath, commandScript], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Workers write their stderr through the parent: the pipe ends when the parent is gone.
    const allClosed = once(parent.stderr, 'end');
    parent.stderr.resume();
    const exitedEarly = once(parent, 'exit').then(([code]) => {
      throw new Error(`the parent exited with ${code} before it printed its workers' pids`);
    });
    const [line] = (await Promise.race([once(createInterface({ input: parent.stdout }), 'line'), exitedEarly])) as [
      string,
    ];
    exitedEarly.catch(() => {}); // it rejects once we kill the parent below: expected, not a failure
    const pids = JSON.parse(line) as number[];
    expect(pids).toHaveLength(3);
    expect(pids.every((pid) => !hasExited(pid))).toBe(true);

    parent.kill('SIGKILL');
    await once(parent, 'exit');
    await allClosed;
    // Idle workers exit on their own (IPC disconnect, stdin EOF), busy ones by the reaper: a bounded wait until.
    await expect.poll(() => pids.filter((pid) => !hasExited(pid)), { timeout: 5000 }).toEqual([]);
  });
});
