// The whole tree as plain data: what `toy.snapshot()` returns and what the observer draws. JSON-safe: no
// functions, no cycles, times in ms.

/** The state of one worker, as the pool manager knows it. */
export type WorkerState = 'starting' | 'idle' | 'busy' | 'cooling' | 'stopping';

/** One worker: a row of the original's monitor table. */
export interface WorkerSnapshot {
  readonly id: string;
  readonly state: WorkerState;
  readonly kind: string;
  readonly pid?: number;
  readonly threadId?: number;
  /** The database server's process for this connection (PostgreSQL's backend pid, `pooltoy/pg`). */
  readonly backendPid?: number;
  /** Checkouts served so far. */
  readonly uses: number;
  readonly ageMs: number;
  /**
   * Bytes, when the kind can tell: resident memory of a process or command worker (from the OS), heap used by a
   * thread worker. Sampled at most every 2 s while snapshots are read, so up to one sample old.
   */
  readonly memoryBytes?: number;
  /** CPU time (user + system) the worker has used since it started, in ms; sampled with `memoryBytes`. */
  readonly cpuMs?: number;
  /** Is this an overflow worker (started beyond `size`)? */
  readonly isOverflow: boolean;
  /**
   * Who holds the lease, when busy: `owner` described in one line, `sinceMs` how long ago the checkout was granted
   * (a duration at the snapshot's time, like `ageMs`; the observer shows the wall time as `time - sinceMs`).
   */
  readonly lease?: {
    readonly owner: string;
    readonly sinceMs: number;
    /** Where the checkout happened, with the pool's `leakDetection` on. */
    readonly stack?: string;
  };
}

/** A pool's status (docs/semantics.md), with the fields the observer charts. */
export interface PoolStatusSnapshot {
  readonly state: 'ready' | 'overflow' | 'full';
  readonly idle: number;
  readonly overflow: number;
  readonly checkedOut: number;
  readonly waiting: number;
  /** The cluster-wide limit the pool is under, when wrapped by `withClusterLimit` (`pooltoy/cluster`). */
  readonly cluster?: ClusterLimitSnapshot;
}

/** A cluster-wide limit on Redis as one process sees it; the cluster counts are as of its last round trip. */
export interface ClusterLimitSnapshot {
  /** The limit's key in Redis. */
  readonly key: string;
  /** Slots shared by every process using the key. */
  readonly limit: number;
  /** Slots held by this process. */
  readonly heldHere: number;
  /** Checkouts of this process waiting for a slot. */
  readonly waitingHere: number;
  /** Slots held across the cluster. */
  readonly heldInCluster: number;
  /** Checkouts waiting for a slot across the cluster. */
  readonly waitingInCluster: number;
  /** Did the last command to Redis succeed? */
  readonly isRedisReachable: boolean;
}

/** A pool and its subtree. */
export interface PoolSnapshot {
  readonly name: string;
  readonly kind: string;
  /** The options in force, JSON-safe (the worker kind as its name). */
  readonly options: Readonly<Record<string, unknown>>;
  readonly status: PoolStatusSnapshot;
  readonly workers: readonly WorkerSnapshot[];
  /** Times the pool supervisor restarted this pool's manager and workers. */
  readonly restarts: number;
  /**
   * Why workers are not starting, when they are not: `backoff` while a failed start waits to be retried (with
   * growing delays), `failing` past `maxRestarts`, when checkouts that need a new worker fail fast.
   */
  readonly startTrouble?: 'backoff' | 'failing';
}

/** A supervisor node of the tree, for drawing. */
export interface SupervisorSnapshot {
  readonly id: string;
  readonly strategy: 'one-for-one' | 'one-for-all' | 'rest-for-one';
  /** A worker appears as a leaf whose `id` is its WorkerSnapshot's `id`: the observer draws its details there. */
  readonly children: readonly (SupervisorSnapshot | { readonly id: string; readonly type: 'worker' })[];
}

/** The whole PoolToy tree. */
export interface ToySnapshot {
  /** Wall-clock time of the snapshot (ms since the epoch), for display. */
  readonly time: number;
  readonly tree: SupervisorSnapshot;
  readonly registry: readonly string[];
  readonly pools: readonly PoolSnapshot[];
}

/** One entry of the observer's event log: a pool event, flattened. */
export interface ToyEvent {
  readonly time: number;
  readonly pool: string;
  /** The pool event's name, e.g. `checkout:granted`, `worker:exited`. */
  readonly type: string;
  readonly workerId?: string;
  /** One human line, e.g. the exit reason. */
  readonly detail?: string;
  /** For `checkout:granted`: how long the client waited for its worker, in ms (the observer charts it). */
  readonly waitMs?: number;
  /** For `checkin:done`: how long the lease was held, in ms (metrics' lease hold time). */
  readonly heldMs?: number;
  /** For `worker:exited`: how the worker ended (metrics count exits by it). */
  readonly exitKind?: 'normal' | 'shutdown' | 'killed' | 'crashed';
}
