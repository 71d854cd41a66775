// A supervisor's record of one child: its spec with the defaults filled in, and where the child is in its life.
import { InvalidArgumentError } from '../errors.js';
import type { SupervisorSnapshot } from '../observer/snapshot.js';
import type { ChildHandle, ChildSpec, RestartType, Shutdown } from './child.js';
import type { Exit } from './exit.js';
import { defaultShutdown } from './shutdown.js';

/** Whether a child is restarted after `exit`, by its restart type: the supervisors' one restart policy. */
export const shouldRestart: Readonly<Record<RestartType, (exit: Exit) => boolean>> = Object.freeze({
  permanent: () => true,
  transient: (exit: Exit) => exit.kind === 'crashed' || exit.kind === 'killed',
  // Never, under any strategy: a temporary sibling taken down by one-for-all is not started again either.
  temporary: () => false,
});

/** Where a child is in its life, as its supervisor sees it. */
export type ChildState =
  | { readonly kind: 'down' }
  | { readonly kind: 'starting' }
  | { readonly kind: 'running'; readonly handle: ChildHandle }
  | { readonly kind: 'stopping'; readonly handle: ChildHandle };

/** One row of `whichChildren()`: `handle` is `undefined` while the child is down or starting. */
export interface ChildInfo {
  readonly id: string;
  readonly type: 'worker' | 'supervisor';
  readonly restart: RestartType;
  readonly handle: ChildHandle | undefined;
}

const restartTypes: readonly RestartType[] = ['permanent', 'transient', 'temporary'];

/** A validated child spec and its current state. */
export class ChildEntry {
  readonly spec: ChildSpec;
  readonly id: string;
  readonly restart: RestartType;
  readonly type: 'worker' | 'supervisor';
  readonly shutdown: Shutdown;
  state: ChildState = { kind: 'down' };

  /** Validate `spec` (throws `InvalidArgumentError`) and fill in its defaults. */
  constructor(spec: ChildSpec) {
    if (typeof spec !== 'object' || spec === null) throw new InvalidArgumentError('child spec', 'an object', spec);
    const { id, start, restart = 'permanent', type = 'worker' } = spec;
    if (typeof id !== 'string' || id === '') throw new InvalidArgumentError('child spec id', 'a non-empty string', id);
    if (typeof start !== 'function') {
      throw new InvalidArgumentError(`child spec "${id}" start`, 'a function returning a Promise', start);
    }
    if (!restartTypes.includes(restart)) {
      throw new InvalidArgumentError(`child spec "${id}" restart`, `one of ${restartTypes.join(', ')}`, restart);
    }
    if (type !== 'worker' && type !== 'supervisor') {
      throw new InvalidArgumentError(`child spec "${id}" type`, "'worker' or 'supervisor'", type);
    }
    const shutdown = spec.shutdown ?? defaultShutdown(type);
    const isValidTimeout = typeof shutdown === 'number' && Number.isFinite(shutdown) && shutdown >= 0;
    if (!isValidTimeout && shutdown !== 'brutal' && shutdown !== 'infinity') {
      throw new InvalidArgumentError(`child spec "${id}" shutdown`, "ms >= 0, 'brutal' or 'infinity'", shutdown);
    }
    this.spec = spec;
    this.id = id;
    this.restart = restart;
    this.type = type;
    this.shutdown = shutdown;
  }

  /** The child's handle while it is alive (running or stopping). */
  get handle(): ChildHandle | undefined {
    return this.state.kind === 'running' || this.state.kind === 'stopping' ? this.state.handle : undefined;
  }

  /** This child as a row of `whichChildren()`. */
  info(): ChildInfo {
    return { id: this.id, type: this.type, restart: this.restart, handle: this.handle };
  }

  /**
   * This child as a node of the tree, or `undefined` while it is not alive: a snapshot shows the tree as it is.
   * A live supervisor child that can snapshot itself is drawn with its subtree.
   */
  snapshot(): SupervisorSnapshot | { readonly id: string; readonly type: 'worker' } | undefined {
    const handle = this.handle as (ChildHandle & { snapshot?: () => SupervisorSnapshot }) | undefined;
    if (handle === undefined) return undefined;
    if (this.type === 'supervisor' && typeof handle.snapshot === 'function')
      return { ...handle.snapshot(), id: this.id };
    return { id: this.id, type: 'worker' };
  }

  /** Start the child; the handle, checked to be a ChildHandle, or the start error. Leaves `state` to the caller. */
  async startHandle(): Promise<{ ok: true; handle: ChildHandle } | { ok: false; error: unknown }> {
    try {
      const handle: unknown = await this.spec.start();
      if (!isChildHandle(handle)) {
        const expected = 'a ChildHandle (exited, exit, onExit, stop, kill)';
        return {
          ok: false,
          error: new InvalidArgumentError(`what child "${this.id}" start() resolved`, expected, handle),
        };
      }
      return { ok: true, handle };
    } catch (error) {
      return { ok: false, error };
    }
  }
}

function isChildHandle(value: unknown): value is ChildHandle {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<Record<keyof ChildHandle, unknown>>;
  return (
    typeof candidate.onExit === 'function' &&
    typeof candidate.stop === 'function' &&
    typeof candidate.kill === 'function' &&
    typeof (candidate.exited as Promise<unknown> | undefined)?.then === 'function'
  );
}
