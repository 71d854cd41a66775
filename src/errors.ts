// PoolToy's errors: one class per failure, each with a stable `code` a caller can switch on.

/** Render a value for an error message: short, and never throws. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'symbol') return value.toString();
  if (Array.isArray(value)) return `an array of ${value.length}`;
  const name = (value as object).constructor?.name;
  return name && name !== 'Object' ? `an instance of ${name}` : 'an object';
}

/** The base of every error PoolToy throws or rejects with. */
export class PoolToyError extends Error {
  /** A stable, Node-style code, e.g. `ERR_POOL_CHECKOUT_TIMEOUT`. */
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A pool option was missing, of the wrong type, out of range, or unknown. */
export class InvalidPoolOptionError extends PoolToyError {
  readonly option: string;
  readonly expected: string;
  readonly got: unknown;

  constructor(option: string, expected: string, got: unknown) {
    super(
      'ERR_INVALID_POOL_OPTION',
      `invalid pool option "${option}": expected ${expected}, got ${describeValue(got)}`,
    );
    this.option = option;
    this.expected = expected;
    this.got = got;
  }
}

/** An argument other than a pool option was invalid. */
export class InvalidArgumentError extends PoolToyError {
  readonly argument: string;
  readonly expected: string;
  readonly got: unknown;

  constructor(argument: string, expected: string, got: unknown) {
    super('ERR_INVALID_ARGUMENT', `invalid ${argument}: expected ${expected}, got ${describeValue(got)}`);
    this.argument = argument;
    this.expected = expected;
    this.got = got;
  }
}

/** How a worker process or thread ended: its exit code or signal (either may be null), and why if known. */
export interface WorkerExitDetails {
  readonly exitCode?: number | null;
  readonly signal?: string | null;
  readonly cause?: unknown;
  /** True when the worker died (or the start was given up) before it reported ready. */
  readonly duringStart?: boolean;
}

/** A worker died — exit code, signal, error, lost channel — or never became ready; in-flight calls reject with it. */
export class WorkerExitError extends PoolToyError {
  readonly workerId: string;
  readonly exitCode: number | null;
  readonly signal: string | null;

  constructor(workerId: string, details: WorkerExitDetails = {}) {
    const how = details.signal
      ? `was killed by ${details.signal}`
      : typeof details.exitCode === 'number'
        ? `exited with code ${details.exitCode}`
        : 'died';
    const why = details.cause instanceof Error ? `: ${details.cause.message}` : '';
    const when = details.duringStart ? ' before it was ready' : '';
    super('ERR_WORKER_EXIT', `worker "${workerId}" ${how}${when}${why}`, { cause: details.cause });
    this.workerId = workerId;
    this.exitCode = details.exitCode ?? null;
    this.signal = details.signal ?? null;
  }
}

/** A call to a worker ran longer than its `timeoutMs` (`runTimeoutMs` for `pool.run`). */
export class RunTimeoutError extends PoolToyError {
  readonly workerId: string;
  readonly timeoutMs: number;

  constructor(workerId: string, timeoutMs: number) {
    super(
      'ERR_RUN_TIMEOUT',
      `call to worker "${workerId}" timed out after ${timeoutMs}ms; the handler's signal was aborted, and a pool replaces the worker`,
    );
    this.workerId = workerId;
    this.timeoutMs = timeoutMs;
  }
}

/** A worker (or its parent) sent a message outside the protocol: garbage on stdout, an unknown call id, a bad envelope. */
export class WorkerProtocolError extends PoolToyError {
  readonly workerId: string;
  readonly expected: string;
  readonly got: unknown;

  constructor(workerId: string, expected: string, got: unknown) {
    super(
      'ERR_WORKER_PROTOCOL',
      `worker "${workerId}" broke the protocol: expected ${expected}, got ${describeValue(got)}`,
    );
    this.workerId = workerId;
    this.expected = expected;
    this.got = got;
  }
}

/** `serve()` was called outside a worker started by PoolToy (no IPC channel, no parent port). */
export class NotInWorkerError extends PoolToyError {
  constructor() {
    super(
      'ERR_NOT_IN_WORKER',
      'serve() must run inside a worker started by processWorker() or threadWorker(): found neither an IPC channel nor a parent port',
    );
  }
}
