// The OS side of a process or command worker: its group registered with the reaper, its death seen on its exit (not
// on its pipes, which a descendant may hold open forever), its descendants killed with it, its stderr passed through
// with the tail kept for the error that reports its death.
import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { Clock, Timer } from '../clock.js';
import type { StderrTarget } from './kind-options.js';
import { adoptGroup, releaseGroup, signalGroup } from './process-groups.js';
import type { WorkerConnection } from './worker-connection.js';

// After the exit, output already written is still in the pipes: 'close' says it is all read. A pipe a stray process
// still holds never closes, so the death is reported at the latest this long after the exit.
const lastOutputGraceMs = 200;
const stderrTailBytes = 2048;

/** The last 2 KB a worker wrote to stderr, whole lines where the cut allows. */
export class StderrTail {
  #chunks: Buffer[] = [];
  #bytes = 0;

  add(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
    while (this.#chunks.length > 1 && this.#bytes - this.#chunks[0]!.length >= stderrTailBytes) {
      this.#bytes -= this.#chunks.shift()!.length;
    }
  }

  toString(): string {
    const all = Buffer.concat(this.#chunks);
    if (all.length <= stderrTailBytes) return all.toString('utf8').trimEnd();
    const tail = all.subarray(all.length - stderrTailBytes).toString('utf8');
    const lineStart = tail.indexOf('\n');
    return `…${lineStart === -1 || lineStart === tail.length - 1 ? tail : tail.slice(lineStart + 1)}`.trimEnd();
  }
}

/** Pass the worker's stderr on to `target` (ours by default), keeping its tail. */
export function keepStderrTail(stderr: Readable | null, target: StderrTarget = 'inherit'): StderrTail {
  const tail = new StderrTail();
  const passOn =
    target === 'inherit' ? (chunk: Buffer) => process.stderr.write(chunk) : target === 'ignore' ? undefined : target;
  stderr?.on('data', (chunk: Buffer) => {
    tail.add(chunk);
    passOn?.(chunk);
  });
  stderr?.on('error', () => {}); // the worker died mid-write: its exit says so
  return tail;
}

/** Report the worker's death to `connection` once its process exits; take its descendants down with it. */
export function watchOsProcess(child: ChildProcess, connection: WorkerConnection, clock: Clock): void {
  adoptGroup(child.pid);
  let exit: { code: number | null; signal: string | null } | undefined;
  let grace: Timer | undefined;
  const report = (): void => {
    grace?.cancel();
    connection.died(exit!.code, exit!.signal);
  };
  child.on('exit', (code, signal) => {
    exit = { code, signal };
    // Whatever it started dies with it: a descendant holding its stdout would otherwise keep the pipe open forever.
    signalGroup(child, 'SIGKILL');
    releaseGroup(child.pid);
    grace = clock.setTimer(lastOutputGraceMs, report, { unref: true });
  });
  // 'close' follows 'exit' once the pipes are drained, so an answer written just before exiting reaches its call.
  child.on('close', (code, signal) => {
    exit ??= { code, signal };
    report();
  });
}
