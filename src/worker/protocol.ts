// The message protocol between a pool and a process or thread worker, shared by both sides. Envelopes are short
// arrays tagged by a small integer: they are cloned or JSON-encoded on every call, so every byte and property counts.

/** Message tags. Parent → worker below 10, worker → parent from 10. */
export const Tag = {
  /** `[Tag.call, id, payload]`: run the handler. */
  call: 0,
  /** `[Tag.abort, id]`: abort the handler's signal for that call (it was cancelled or timed out). */
  abort: 1,
  /** `[Tag.memory, id]`: answer `[Tag.result, id, bytes]` (RSS in a process, heap used in a thread). */
  memory: 2,
  /** `[Tag.stop]`: finish and exit with code 0 (threads; processes get SIGTERM). */
  stop: 3,
  /** `[Tag.hello, workerId]`: the first message to a thread, which has no environment of its own to read it from. */
  hello: 4,
  /** `[Tag.usage, id]`: answer `[Tag.result, id, { memoryBytes, cpuMs }]` (a thread: its heap and CPU time). */
  usage: 5,
  /** `[Tag.ready]`: `init` finished; calls may come. */
  ready: 10,
  /** `[Tag.result, id, value]`. */
  result: 11,
  /** `[Tag.error, id, error]`: the handler threw or rejected. */
  error: 12,
  /** `[Tag.startFailed, error]`: `init` threw; the parent kills the worker. */
  startFailed: 13,
} as const;

export type ParentMessage =
  | [tag: typeof Tag.call, id: number, payload: unknown]
  | [tag: typeof Tag.abort, id: number]
  | [tag: typeof Tag.memory, id: number]
  | [tag: typeof Tag.usage, id: number]
  | [tag: typeof Tag.stop]
  | [tag: typeof Tag.hello, workerId: string];

export type WorkerMessage =
  | [tag: typeof Tag.ready]
  | [tag: typeof Tag.result, id: number, value: unknown]
  | [tag: typeof Tag.error, id: number, error: SerializedError]
  | [tag: typeof Tag.startFailed, error: SerializedError];

/** An error as it crosses the boundary: structured clone and JSON both drop an Error's name, code and cause. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly code?: unknown;
  readonly cause?: SerializedError;
}

/** The environment variable a process worker reads its id from. */
export const workerIdVariable = 'POOLTOY_WORKER_ID';

/** Flatten a thrown value so it survives JSON and structured clone; a cause chain is kept three levels deep. */
export function serializeError(thrown: unknown, depth = 0): SerializedError {
  if (!(thrown instanceof Error)) return { name: 'Error', message: `a non-error was thrown: ${String(thrown)}` };
  const code = (thrown as { code?: unknown }).code;
  const serialized: { -readonly [K in keyof SerializedError]: SerializedError[K] } = {
    name: thrown.name,
    message: thrown.message,
  };
  if (thrown.stack !== undefined) serialized.stack = thrown.stack;
  if (typeof code === 'string' || typeof code === 'number') serialized.code = code;
  if (thrown.cause !== undefined && depth < 3) serialized.cause = serializeError(thrown.cause, depth + 1);
  return serialized;
}

/** Rebuild an error on the other side, with its name, message, stack, code and cause. */
export function deserializeError(serialized: unknown): Error {
  if (typeof serialized !== 'object' || serialized === null)
    return new Error(`unreadable error: ${String(serialized)}`);
  const { name, message, stack, code, cause } = serialized as Partial<Record<keyof SerializedError, unknown>>;
  const text = typeof message === 'string' ? message : String(message);
  const error = cause === undefined ? new Error(text) : new Error(text, { cause: deserializeError(cause) });
  if (typeof name === 'string') error.name = name;
  if (typeof stack === 'string') error.stack = stack;
  if (code !== undefined) (error as Error & { code?: unknown }).code = code;
  return error;
}

/** Is this a well-formed worker → parent envelope? Anything else is a protocol error, never a crash. */
export function isWorkerMessage(message: unknown): message is WorkerMessage {
  if (!Array.isArray(message)) return false;
  switch (message[0]) {
    case Tag.ready:
      return true;
    case Tag.result:
    case Tag.error:
      return Number.isInteger(message[1]);
    case Tag.startFailed:
      return true;
    default:
      return false;
  }
}
