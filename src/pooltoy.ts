// The application root, as OTP's: PoolToy (rest-for-one) → [Registry, PoolsSupervisor] → one pool supervisor per
// pool. Pools start and stop at run time, each isolated, found by name; the tree stops them all with one deadline.
import {
  ChildStartError,
  InvalidArgumentError,
  PoolExistsError,
  PoolFailedError,
  PoolNotFoundError,
  PoolToyStoppedError,
  SupervisorStoppedError,
} from './errors.js';
import type { ToyEvent, ToySnapshot } from './observer/snapshot.js';
import type { PoolConfig, PoolOptions } from './options.js';
import type { Pool, StopReport } from './pool/pool.js';
import { Registry } from './registry.js';
import { DynamicSupervisor } from './supervisor/dynamic-supervisor.js';
import { describeExit, isAbnormal } from './supervisor/exit.js';
import { Supervisor } from './supervisor/supervisor.js';
import { PoolChild } from './tree/pool-child.js';
import { PoolToyEvents } from './tree/pooltoy-events.js';
import {
  type PoolOptionsByName,
  type PoolToyConfig,
  type PoolToyOptions,
  type PoolWorkers,
  parsePoolInTree,
  parsePoolToyOptions,
  parseStopTimeout,
} from './tree/pooltoy-options.js';
import { installSignalHandlers } from './tree/signal-handlers.js';

/** One pool's part of the tree's stop report. */
export interface PoolStopSummary extends StopReport {
  readonly pool: string;
}

/** What `toy.stop()` reports: per pool, the workers that had to be killed and the leases still held, by whom. */
export interface PoolToyStopReport {
  readonly pools: readonly PoolStopSummary[];
}

type Phase = 'running' | 'stopping' | 'stopped';

/**
 * A supervised tree of named pools: `PoolToy.start()`, then `startPool`, `pool`, `stopPool`, `stop`. `Pools` maps
 * the names of the pools it was started with to their worker types, for `toy.pool(name)`.
 */
// biome-ignore lint/suspicious/noExplicitAny: a bare `PoolToy` annotation accepts any tree
export class PoolToy<Pools extends object = any> extends PoolToyEvents {
  readonly #config: PoolToyConfig;
  readonly #root: Supervisor;
  // Set by the root's child specs, so that a restart of either is what the tree uses from then on.
  #registry!: Registry<PoolChild>;
  #poolsSupervisor!: DynamicSupervisor;
  #phase: Phase = 'running';
  readonly #starting = new Set<string>();
  readonly #stopping = new Map<string, Promise<StopReport>>();
  // biome-ignore lint/suspicious/noExplicitAny: each pool has its own worker type
  readonly #lastConfigs = new Map<string, PoolConfig<any>>();
  // Pool events are forwarded only while someone listens: a listener makes every pool build its event payloads.
  readonly #forwarding = new Map<string, () => void>();
  #stopped: Promise<PoolToyStopReport> | undefined;
  #removeSignalHandlers: (() => void) | undefined;

  /** Start the tree, then the pools declared in `options.pools` (in order); on a failure, stop it all and reject. */
  static async start<P extends PoolOptionsByName = {}>(
    options: PoolToyOptions<P> = {},
  ): Promise<PoolToy<PoolWorkers<P>>> {
    const toy = new PoolToy<PoolWorkers<P>>(parsePoolToyOptions(options));
    await toy.#root.start();
    try {
      for (const [name, config] of toy.#config.pools) await toy.#startPool(name, config);
    } catch (error) {
      await toy.stop({ timeoutMs: 0 });
      throw error;
    }
    if (toy.#config.handleSignals) toy.#removeSignalHandlers = installSignalHandlers(() => toy.stop());
    return toy;
  }

  private constructor(config: PoolToyConfig) {
    super();
    this.#config = config;
    const { clock } = config;
    // rest-for-one: the pools register in the registry, so if it goes they go too; if they go, it stays.
    this.#root = new Supervisor({
      id: 'pooltoy',
      strategy: 'rest-for-one',
      clock,
      children: [
        { id: 'registry', start: async () => (this.#registry = new Registry<PoolChild>()) },
        {
          id: 'pools',
          type: 'supervisor',
          start: async () => (this.#poolsSupervisor = new DynamicSupervisor({ id: 'pools', clock })),
        },
      ],
    });
    this.#root.onExit(() => {
      this.#phase = 'stopped';
      this.#removeSignalHandlers?.();
    });
  }

  /** Start a pool named `name`; rejects `PoolExistsError`, `InvalidPoolOptionError`, or as `createPool` does. */
  async startPool<W>(name: string, options: PoolOptions<W>): Promise<Pool<W>> {
    if (this.#phase !== 'running') throw new PoolToyStoppedError();
    return this.#startPool(name, parsePoolInTree(name, options, this.#config.clock));
  }

  /**
   * The running pool `name`; throws `PoolNotFoundError` (a stopping, stopped or failed pool is not found). A pool
   * the tree was started with keeps its worker type; any other name gives `Pool<W>` (`unknown` unless given).
   */
  pool<K extends keyof Pools & string>(name: K): Pool<Pools[K]>;
  pool<W = unknown>(name: string): Pool<W>;
  pool(name: string): Pool<unknown> {
    const child = this.#registry.lookup(name);
    if (child === undefined) throw new PoolNotFoundError(name, this.pools());
    return child.pool as Pool<unknown>;
  }

  /** The names of the running pools, in the order they started. */
  pools(): string[] {
    return this.#registry.keys();
  }

  /** Stop the pool `name` as `pool.stop()` does; it leaves the registry at once. Rejects `PoolNotFoundError`. */
  async stopPool(name: string, options?: { timeoutMs?: number }): Promise<StopReport> {
    const stopping = this.#stopping.get(name);
    if (stopping !== undefined) return stopping;
    const timeoutMs = parseStopTimeout('stopPool', options, this.#config.shutdownTimeoutMs);
    const child = this.#registry.lookup(name);
    if (child === undefined) throw new PoolNotFoundError(name, this.pools());
    this.#registry.unregister(name);
    const stop = child.pool.stop({ timeoutMs });
    this.#stopping.set(name, stop);
    // Forgotten only once its supervisor has exited (synchronously then): until then the name is still taken.
    child.onExit(() => this.#stopping.delete(name));
    return stop;
  }

  /** Start again a pool that stopped or failed, with the options it last had. */
  restartPool(name: string): Promise<Pool> {
    const config = this.#lastConfigs.get(name);
    if (this.#phase !== 'running') return Promise.reject(new PoolToyStoppedError());
    if (config === undefined) return Promise.reject(new PoolNotFoundError(name, this.pools()));
    return this.#startPool(name, config);
  }

  /** Kill one worker at once, as a crash would (its pool replaces it); false when no such pool or worker runs. */
  killWorker(poolName: string, workerId: string): boolean {
    return this.#registry.lookup(poolName)?.killWorker(workerId) ?? false;
  }

  /** The whole tree as plain data: supervisors, registered names, pools with options, status and workers. */
  snapshot(): ToySnapshot {
    const names = this.#registry.keys();
    const pools = names.map((name) => this.#registry.lookup(name)!.pool.snapshot());
    return { time: Date.now(), tree: this.#root.snapshot(), registry: names, pools };
  }

  /** Receive every pool's events and the tree's own as `ToyEvent`s; returns the function that stops it. */
  onEvent(listener: (event: ToyEvent) => void): () => void {
    if (typeof listener !== 'function') throw new InvalidArgumentError('onEvent listener', 'a function', listener);
    const remove = this.addToyListener(listener);
    for (const name of this.#registry.keys()) this.#maybeForward(name, this.#registry.lookup(name)!);
    return () => {
      remove();
      if (this.hasToyListeners) return;
      for (const stopForwarding of this.#forwarding.values()) stopForwarding();
      this.#forwarding.clear();
    };
  }

  /**
   * Stop every pool at once with one deadline (`timeoutMs` for leases to come back, then workers stop per their
   * pool's `stopTimeoutMs`), then the tree in reverse order. Idempotent; resolves with the report.
   */
  stop(options?: { timeoutMs?: number }): Promise<PoolToyStopReport> {
    try {
      this.#stopped ??= this.#stop(parseStopTimeout('stop', options, this.#config.shutdownTimeoutMs));
      return this.#stopped;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async #stop(timeoutMs: number): Promise<PoolToyStopReport> {
    if (this.#phase === 'running') this.#phase = 'stopping';
    for (const name of this.#registry.keys()) this.stopPool(name, { timeoutMs }).catch(() => {});
    try {
      return { pools: await Promise.all([...this.#stopping].map(async ([pool, stop]) => ({ pool, ...(await stop) }))) };
    } finally {
      // Reverse start order: the pools supervisor (and any pool still starting), then the registry.
      await this.#root.shutdown();
      this.#removeSignalHandlers?.();
    }
  }

  async #startPool<W>(name: string, config: PoolConfig<W>): Promise<Pool<W>> {
    const state = this.#registry.lookup(name) ? 'running' : this.#starting.has(name) ? 'starting' : undefined;
    if (state !== undefined || this.#stopping.has(name)) throw new PoolExistsError(name, state ?? 'stopping');
    this.#starting.add(name);
    let child: PoolChild<W>;
    try {
      // Temporary: a pool's restarts happen in its own supervisor, within its own intensity; one that gave up is
      // removed, not restarted here, so that a crash-looping pool can never exhaust a limit its neighbours share.
      child = await this.#poolsSupervisor.startChild({
        id: name,
        type: 'supervisor',
        restart: 'temporary',
        start: () => PoolChild.start(config),
      });
    } catch (error) {
      if (error instanceof SupervisorStoppedError) throw new PoolToyStoppedError();
      throw error instanceof ChildStartError ? error.cause : error;
    } finally {
      this.#starting.delete(name);
    }
    if (child.exit !== undefined) throw new PoolFailedError(name, describeExit(child.exit));
    if (this.#phase !== 'running') {
      await child.pool.stop({ timeoutMs: 0 });
      throw new PoolToyStoppedError();
    }
    // The registry holds pools of every worker type; `pool<W>()` restores the type its caller knows.
    const registered = child as unknown as PoolChild;
    this.#registry.register(name, registered);
    this.#lastConfigs.set(name, config);
    this.#watch(name, registered);
    this.announce('pool:started', { name });
    return child.pool;
  }

  #watch(name: string, child: PoolChild): void {
    let crash: unknown;
    let restarts = 0;
    child.supervisor.on('child:exited', ({ id, exit }) => {
      if (id === 'manager' && exit.kind === 'crashed') crash = exit.error;
    });
    // One-for-all restarts the workers first, then the manager: the pool serves again once the manager is back.
    child.supervisor.on('child:restarted', ({ id }) => {
      if (id === 'manager') this.announce('pool:restarted', { name, restarts: ++restarts, cause: crash });
    });
    this.#maybeForward(name, child);
    child.onExit((exit) => {
      this.#forwarding.get(name)?.();
      this.#forwarding.delete(name);
      const wasAsked = this.#stopping.has(name) || this.#phase !== 'running';
      if (!isAbnormal(exit) || wasAsked) {
        this.announce('pool:stopped', { name, exit });
        return;
      }
      const cause = exit.kind === 'crashed' ? exit.error : undefined;
      this.announce('pool:failed', { name, error: new PoolFailedError(name, describeExit(exit), cause) });
    });
  }

  #maybeForward(name: string, child: PoolChild): void {
    if (!this.hasToyListeners || this.#forwarding.has(name) || child.exit !== undefined) return;
    this.#forwarding.set(
      name,
      child.pool.onAnyEvent((event) => this.forward(event)),
    );
  }
}
