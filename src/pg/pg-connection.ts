// The pg.Client worker kind: one PostgreSQL connection per worker. The connection's death ('error', 'end') is the
// worker's; it is tagged with an application_name, validated (with a timeout) when it was idle a while, retired
// past its lifetime (with jitter, so a pool's connections do not all retire at once), and kept alive while idle.
import type pg from 'pg';
import type { Timer } from '../clock.js';
import { Child } from '../supervisor/child.js';
import { crashedExit, type Exit, killedExit, normalExit, shutdownExit } from '../supervisor/exit.js';
import type { WorkerHandle, WorkerKind, WorkerStartContext } from '../workers/worker-kind.js';
import type { PgConnectionSettings } from './pg-settings.js';

/** A connection's life as the pg pool and the kind share it (looked up by client, or by worker id). */
export class PgConnectionState {
  /** Checked out (from the checkout's validation until `PgPool` checks it in): keepalive and retirement wait. */
  isLeased = false;
  /** Past its lifetime: retired at its next checkin, or at once while idle. */
  isExpired = false;
  lastUsedAt: number;
  readonly handle: PgConnection;

  constructor(handle: PgConnection, now: number) {
    this.handle = handle;
    this.lastUsedAt = now;
  }

  /** `PgPool` tells of its checkins (and marks its checkouts): hot connections then skip the pool's validation step. */
  isToldOfCheckins = false;

  /** The connection came back: idle from now. Returns true if it must be retired instead of reused. */
  checkedIn(): boolean {
    this.isToldOfCheckins = true;
    this.isLeased = false;
    this.lastUsedAt = this.handle.settings.clock.now();
    return this.isExpired;
  }
}

const byClient = new WeakMap<object, PgConnectionState>();
const byWorkerId = new Map<string, PgConnectionState>();

/** The state of a connection made by `pgConnection`, by its client or its worker id. */
export function pgConnectionState(key: object | string): PgConnectionState | undefined {
  return typeof key === 'string' ? byWorkerId.get(key) : byClient.get(key);
}

/** A worker kind whose workers are `pg.Client` connections (made from `settings`, see `parsePgPoolConfig`). */
export function pgConnection(settings: PgConnectionSettings): WorkerKind<pg.Client> {
  return { kind: 'pg', start: (context) => PgConnection.start(settings, context) };
}

/** One PostgreSQL connection as a supervisor child. */
export class PgConnection extends Child implements WorkerHandle<pg.Client> {
  readonly workerId: string;
  readonly worker: pg.Client;
  readonly settings: PgConnectionSettings;
  readonly backendPid: number | undefined;
  readonly #validateBound = () => this.#validate();
  readonly #state: PgConnectionState;
  #lifetimeTimer: Timer | undefined;
  #keepaliveTimer: Timer | undefined;
  #isStopping = false;

  private constructor(workerId: string, client: pg.Client, settings: PgConnectionSettings) {
    super();
    this.workerId = workerId;
    this.worker = client;
    this.settings = settings;
    this.backendPid = (client as unknown as { processID?: number }).processID ?? undefined;
    this.#state = new PgConnectionState(this, settings.clock.now());
    byClient.set(client, this.#state);
    byWorkerId.set(workerId, this.#state);
    const { maxLifetimeMs, clock } = settings;
    if (maxLifetimeMs !== Number.POSITIVE_INFINITY) {
      // HikariCP's rule: up to 2.5% shorter, at random, so connections opened together retire apart.
      const lifetime = maxLifetimeMs - Math.random() * maxLifetimeMs * 0.025;
      this.#lifetimeTimer = clock.setTimer(lifetime, () => this.#expire(), { unref: true });
    }
    this.#scheduleKeepalive();
  }

  static async start(settings: PgConnectionSettings, context: WorkerStartContext): Promise<PgConnection> {
    const client = new settings.Client({
      ...settings.client,
      application_name: settings.applicationName(context.workerId),
    });
    let early: unknown;
    let handle: PgConnection | undefined;
    // A pg client with no 'error' listener turns a dropped backend into an uncaught exception.
    const died = (reason: unknown) => {
      if (handle) handle.#died(reason);
      else early ??= reason;
    };
    client.on('error', died);
    client.on('end', () => died(new Error('the connection to PostgreSQL ended')));
    const onAbort = () => destroySocket(client);
    context.signal.addEventListener('abort', onAbort, { once: true });
    try {
      if (context.signal.aborted) throw context.signal.reason;
      await client.connect();
      if (context.signal.aborted) throw context.signal.reason;
      if (early !== undefined) throw early;
    } catch (error) {
      destroySocket(client);
      throw context.signal.aborted ? context.signal.reason : error;
    } finally {
      context.signal.removeEventListener('abort', onAbort);
    }
    handle = new PgConnection(context.workerId, client, settings);
    return handle;
  }

  stop(): void {
    if (this.hasExited || this.#isStopping) return;
    this.#isStopping = true;
    this.#cancelTimers();
    this.worker.end().then(
      () => this.#finish(shutdownExit),
      (error: unknown) => this.#finish(crashedExit(error)),
    );
  }

  kill(): void {
    if (this.hasExited) return;
    this.#isStopping = true;
    destroySocket(this.worker);
    this.#finish(killedExit());
  }

  /**
   * Read by the pool at each checkout. Undefined (no check: the pool hands the connection over at once) for one
   * `PgPool` checked in moments ago and not expired, since `PgPool` marks its own checkouts; else the check below.
   */
  get validate(): (() => boolean | Promise<boolean>) | undefined {
    const state = this.#state;
    if (!state.isToldOfCheckins || state.isExpired) return this.#validateBound;
    const { validateQuery, validateAfterIdleMs, clock } = this.settings;
    if (validateQuery !== false && clock.now() - state.lastUsedAt >= validateAfterIdleMs) return this.#validateBound;
    return undefined;
  }

  /** On checkout: the connection is leased from now; it is checked only if idle longer than `validateAfterIdleMs`. */
  #validate(): boolean | Promise<boolean> {
    const state = this.#state;
    state.isLeased = true;
    if (state.isExpired || this.hasExited || this.#isStopping) return false;
    const { validateQuery, validateAfterIdleMs, clock } = this.settings;
    if (validateQuery === false || clock.now() - state.lastUsedAt < validateAfterIdleMs) return true;
    return this.#check(validateQuery).then(
      () => true,
      () => false,
    );
  }

  /** Run `query`, bounded by `validateTimeoutMs` whatever the pool's options say; rejects on a failure or timeout. */
  #check(query: string): Promise<void> {
    const { clock, validateTimeoutMs } = this.settings;
    return new Promise<void>((resolve, reject) => {
      const timer =
        validateTimeoutMs === Number.POSITIVE_INFINITY
          ? undefined
          : clock.setTimer(validateTimeoutMs, () => {
              const error = new Error(`"${query}" took longer than validateTimeoutMs (${validateTimeoutMs} ms)`);
              reject(error);
              // A connection that does not answer cannot be trusted, nor closed politely: drop it now.
              this.#died(error);
            });
      this.worker.query(query).then(
        () => {
          timer?.cancel();
          this.#state.lastUsedAt = clock.now();
          resolve();
        },
        (error: unknown) => {
          timer?.cancel();
          reject(error);
        },
      );
    });
  }

  #expire(): void {
    this.#lifetimeTimer = undefined;
    this.#state.isExpired = true;
    // Idle: retire now (the pool starts a replacement); leased: its checkin retires it.
    if (!this.#state.isLeased) this.#retire();
  }

  #scheduleKeepalive(): void {
    const { keepaliveMs, clock } = this.settings;
    if (keepaliveMs === Number.POSITIVE_INFINITY) return;
    this.#keepaliveTimer = clock.setTimer(keepaliveMs, () => this.#keepalive(), { unref: true });
  }

  #keepalive(): void {
    this.#keepaliveTimer = undefined;
    const state = this.#state;
    const { clock, keepaliveMs } = this.settings;
    if (state.isLeased || clock.now() - state.lastUsedAt < keepaliveMs) {
      this.#scheduleKeepalive();
      return;
    }
    this.#check(this.settings.keepaliveQuery).then(
      () => {
        if (!this.hasExited && !this.#isStopping) this.#scheduleKeepalive();
      },
      (error: unknown) => this.#died(error),
    );
  }

  /** Leave the pool on our own: a normal exit the pool answers with a fresh connection. */
  #retire(): void {
    if (this.hasExited || this.#isStopping) return;
    this.#isStopping = true;
    this.#finish(normalExit);
    this.worker.end().catch(() => {});
  }

  #died(reason: unknown): void {
    if (this.hasExited || this.#isStopping) return;
    this.#isStopping = true;
    this.#finish(crashedExit(reason));
    // Already dead: close what is left (socket, timers) and ignore how that goes.
    destroySocket(this.worker);
  }

  #finish(exit: Exit): void {
    this.#cancelTimers();
    this.reportExit(exit);
    // After the report: the pool's exit listeners (and PgPool's 'error' and 'remove') still find the connection.
    if (byWorkerId.get(this.workerId) === this.#state) byWorkerId.delete(this.workerId);
  }

  #cancelTimers(): void {
    this.#lifetimeTimer?.cancel();
    this.#keepaliveTimer?.cancel();
    this.#lifetimeTimer = this.#keepaliveTimer = undefined;
  }
}

/** Close a client's socket at once (no Terminate message): for a start given up, a kill, a dead connection. */
export function destroySocket(client: pg.Client): void {
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}
