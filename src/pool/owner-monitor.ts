// A lease's owner: what its life is tied to. An AbortSignal, or anything that emits 'close' or 'exit' (a socket,
// an HTTP response, a ChildProcess, a worker thread). The pool listens only while the lease or waiter lives.
import { InvalidArgumentError, OwnerExitError } from '../errors.js';

/** Something that emits `close` or `exit` when it ends, in Node's EventEmitter style. */
export interface OwnerEmitter {
  /** Add a listener (the pool listens to `close` and `exit`). */
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  /** Remove a listener (or `removeListener`: one of the two is used when the lease ends). */
  off?(event: string, listener: (...args: unknown[]) => void): unknown;
  /** Remove a listener, the older name of `off`. */
  removeListener?(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** What a checkout can tie its lease to. */
export type Owner = AbortSignal | OwnerEmitter;

/** Throw a clear error unless `owner` is an AbortSignal or an emitter the pool can listen to and stop listening to. */
export function assertOwner(owner: unknown): asserts owner is Owner {
  if (owner instanceof AbortSignal) return;
  const emitter = owner as OwnerEmitter | null;
  if (
    typeof emitter === 'object' &&
    emitter !== null &&
    typeof emitter.on === 'function' &&
    (typeof emitter.off === 'function' || typeof emitter.removeListener === 'function')
  ) {
    return;
  }
  throw new InvalidArgumentError(
    'checkout option "owner"',
    "an AbortSignal, or an emitter of 'close'/'exit' (socket, response, ChildProcess, Worker)",
    owner,
  );
}

/** The reason an owner has already ended with, or `undefined` while it lives. */
export function endedOwnerReason(owner: Owner): unknown {
  if (owner instanceof AbortSignal) return owner.aborted ? owner.reason : undefined;
  const ended = owner as { destroyed?: unknown; exitCode?: unknown; signalCode?: unknown; pid?: unknown };
  if (ended.destroyed === true) return new OwnerExitError('close');
  // A ChildProcess that has exited will never emit 'exit' again.
  if (typeof ended.pid === 'number' && (typeof ended.exitCode === 'number' || typeof ended.signalCode === 'string')) {
    return new OwnerExitError('exit');
  }
  return undefined;
}

/** Call `onEnd(reason)` once when `owner` ends; returns the function that stops listening. */
export function watchOwner(owner: Owner, onEnd: (reason: unknown) => void): () => void {
  if (owner instanceof AbortSignal) {
    const onAbort = () => onEnd(owner.reason);
    owner.addEventListener('abort', onAbort, { once: true });
    return () => owner.removeEventListener('abort', onAbort);
  }
  const onClose = () => onEnd(new OwnerExitError('close'));
  const onExit = () => onEnd(new OwnerExitError('exit'));
  owner.on('close', onClose);
  owner.on('exit', onExit);
  return () => {
    const remove = (owner.off ?? owner.removeListener)!.bind(owner);
    remove('close', onClose);
    remove('exit', onExit);
  };
}

/** One short line naming the owner, for `pool.workers()` and stop reports: `GET /report`, `pid 4242`, `signal`. */
export function describeOwner(owner: Owner | undefined): string {
  if (owner === undefined) return 'unowned';
  if (owner instanceof AbortSignal) return 'AbortSignal';
  const known = owner as {
    req?: { method?: unknown; url?: unknown };
    method?: unknown;
    url?: unknown;
    pid?: unknown;
    threadId?: unknown;
    remoteAddress?: unknown;
    remotePort?: unknown;
  };
  const request = known.req ?? known;
  if (typeof request.method === 'string' && typeof request.url === 'string') return `${request.method} ${request.url}`;
  if (typeof known.pid === 'number') return `pid ${known.pid}`;
  if (typeof known.threadId === 'number') return `thread ${known.threadId}`;
  if (typeof known.remoteAddress === 'string') return `socket ${known.remoteAddress}:${String(known.remotePort)}`;
  return owner.constructor?.name ?? 'emitter';
}
