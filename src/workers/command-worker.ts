// Workers that are any executable speaking JSON lines on stdin and stdout (docs/workers.md has the protocol):
// requests and answers are translated to the envelopes process and thread workers use, so one connection serves all.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { type Clock, systemClock } from '../clock.js';
import { InvalidArgumentError, WorkerProtocolError } from '../errors.js';
import { type ParentMessage, Tag, type WorkerMessage, workerIdVariable } from '../worker/protocol.js';
import {
  checkKindOptions,
  checkStderrTarget,
  checkStopTimeoutMs,
  checkStringArray,
  type StderrTarget,
} from './kind-options.js';
import { readOsUsage } from './os-usage.js';
import { hasProcessGroups, signalGroup } from './process-groups.js';
import { keepStderrTail, watchOsProcess } from './watch-os-process.js';
import { WorkerConnection } from './worker-connection.js';
import type { CallableWorker, WorkerKind } from './worker-kind.js';

/** Options of `commandWorker`. */
export interface CommandWorkerOptions {
  /** The working directory. @default process.cwd() */
  readonly cwd?: string;
  /** The environment; the worker's id is added as `POOLTOY_WORKER_ID`. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** After `stop()` (stdin closed, SIGTERM), SIGKILL a worker still running after this many ms. @default 5000 */
  readonly stopTimeoutMs?: number;
  /** Where timers come from (tests inject a `ManualClock`). @default systemClock */
  readonly clock?: Clock;
  /**
   * Where the worker's stderr goes: `'inherit'` (this process' stderr, as it comes), `'ignore'`, or a function given
   * each chunk (a logger). Its last 2 KB are kept either way for the `WorkerExitError` that reports a death.
   * @default 'inherit'
   */
  readonly stderr?: StderrTarget;
}

// A line this long without a newline is not an answer in progress but a worker writing garbage without end.
const maxLineLength = 64 * 1024 * 1024;
const expectedLine = 'one JSON object per line: {"ready":true}, {"id":n,"result":…} or {"id":n,"error":…}';

/**
 * Run each worker as `command args…`, a program in any language that answers JSON lines (see docs/workers.md).
 * `P` and `R` type its payloads and results (nothing can check them against the program: say what it speaks).
 */
export function commandWorker<P = unknown, R = unknown>(
  command: string,
  args: readonly string[] = [],
  options: CommandWorkerOptions = {},
): WorkerKind<CallableWorker<P, R>> {
  if (typeof command !== 'string' || command === '') {
    throw new InvalidArgumentError('commandWorker() command', 'the path or name of an executable', command);
  }
  const argv = checkStringArray('commandWorker', 'args', args) ?? [];
  checkKindOptions('commandWorker', options, ['cwd', 'env', 'stopTimeoutMs', 'clock', 'stderr']);
  const stopTimeoutMs = checkStopTimeoutMs('commandWorker', options.stopTimeoutMs);
  const clock = options.clock ?? systemClock;
  const stderrTarget = checkStderrTarget('commandWorker', options.stderr);

  const kind: WorkerKind<CallableWorker> = {
    kind: 'command',
    start(context) {
      const child = spawn(command, argv, {
        cwd: options.cwd,
        env: { ...(options.env ?? process.env), [workerIdVariable]: context.workerId },
        stdio: ['pipe', 'pipe', 'pipe'],
        // Its own process group: `sh -c`, `npx`, `uv run` and a Popen'd helper are all the worker (docs/workers.md).
        detached: hasProcessGroups,
      });
      const { stdin, stdout } = child;
      const stderr = keepStderrTail(child.stderr, stderrTarget);
      const connection = new WorkerConnection({
        context,
        clock,
        stopTimeoutMs,
        pid: child.pid,
        stderr,
        transport: {
          send: (message) => {
            stdin.write(toLine(message));
          },
          stop: () => {
            stdin.end(); // EOF is the polite way to ask; SIGTERM the firm one, for a worker busy in a long call
            signalGroup(child, 'SIGTERM');
          },
          kill: () => signalGroup(child, 'SIGKILL'),
          memoryBytes: () => residentBytes(child.pid),
          usage: () => readOsUsage(child.pid),
        },
      });
      const receiveLine = (line: string): void => {
        if (line.trim() === '') return;
        const message = fromLine(line);
        if (message === undefined) connection.fail(new WorkerProtocolError(context.workerId, expectedLine, line));
        else connection.receive(message);
      };
      let partial = '';
      stdout.setEncoding('utf8');
      stdout.on('data', (chunk: string) => {
        let end = chunk.indexOf('\n');
        if (end === -1) {
          partial += chunk;
          if (partial.length > maxLineLength)
            connection.fail(new WorkerProtocolError(context.workerId, expectedLine, partial));
          return;
        }
        receiveLine(partial + chunk.slice(0, end));
        let start = end + 1;
        for (end = chunk.indexOf('\n', start); end !== -1; end = chunk.indexOf('\n', start)) {
          receiveLine(chunk.slice(start, end));
          start = end + 1;
        }
        partial = chunk.slice(start);
      });
      stdout.on('end', () => connection.channelLost(new Error('the worker closed its stdout')));
      // EPIPE once the worker closed stdin or died: a handled event, never an uncaught error in the host.
      stdin.on('error', (error) => connection.channelLost(error));
      stdout.on('error', (error) => connection.channelLost(error));
      child.on('error', (error) => {
        connection.fail(error);
        if (child.pid === undefined) connection.died(null, null); // never spawned (ENOENT): nothing to wait for
      });
      watchOsProcess(child, connection, clock);
      return connection.started;
    },
  };
  return kind as WorkerKind<CallableWorker<P, R>>;
}

function toLine(message: ParentMessage): string {
  switch (message[0]) {
    case Tag.call:
      return `{"id":${message[1]},"payload":${JSON.stringify(message[2]) ?? 'null'}}\n`;
    case Tag.abort:
      return `{"id":${message[1]},"abort":true}\n`;
    default:
      // Stop and memory have their own ways for a command (stdin EOF and SIGTERM, /proc); hello is the env var.
      throw new TypeError(`no line for message ${message[0]}`);
  }
}

function fromLine(line: string): WorkerMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { id, result, error, ready } = value as Record<string, unknown>;
  if (id === undefined) {
    if (ready === true) return [Tag.ready];
    return error === undefined ? undefined : [Tag.startFailed, toSerializedError(error)];
  }
  if (!Number.isInteger(id)) return undefined;
  if (error !== undefined && error !== null) return [Tag.error, id as number, toSerializedError(error)];
  return 'result' in value ? [Tag.result, id as number, result] : undefined;
}

function toSerializedError(error: unknown): { name: string; message: string } {
  if (typeof error === 'object' && error !== null) return error as { name: string; message: string };
  return { name: 'Error', message: String(error) };
}

/** Resident set size from /proc (Linux); elsewhere there is no cheap reading, so none. */
async function residentBytes(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined || process.platform !== 'linux') return undefined;
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kilobytes = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  return kilobytes === undefined ? undefined : Number(kilobytes) * 1024;
}
