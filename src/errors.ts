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
export class PoolToyError<Code extends string = string> extends Error {
  /** A stable, Node-style code, e.g. `ERR_POOL_CHECKOUT_TIMEOUT`: a literal type on each subclass. */
  readonly code: Code;

  constructor(code: Code, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A pool option was missing, of the wrong type, out of range, or unknown. */
export class InvalidPoolOptionError extends PoolToyError<'ERR_INVALID_POOL_OPTION'> {
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
export class InvalidArgumentError extends PoolToyError<'ERR_INVALID_ARGUMENT'> {
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
  /** The end of what the worker wrote to stderr (process and command workers; at most the last 2 KB). */
  readonly stderr?: string;
}

/** A worker died — exit code, signal, error, lost channel — or never became ready; in-flight calls reject with it. */
export class WorkerExitError extends PoolToyError<'ERR_WORKER_EXIT'> {
  readonly workerId: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** The end of the worker's stderr (at most 2 KB), when it wrote any: usually the reason it died. */
  readonly stderr: string | undefined;

  constructor(workerId: string, details: WorkerExitDetails = {}) {
    const how = details.signal
      ? `was killed by ${details.signal}`
      : typeof details.exitCode === 'number'
        ? `exited with code ${details.exitCode}`
        : 'exited';
    const message =
      details.cause instanceof Error
        ? `worker "${workerId}" ${details.duringStart ? 'failed to start' : 'died'}: ${details.cause.message} (${how})`
        : `worker "${workerId}" ${how}${details.duringStart ? ' before it was ready' : ''}`;
    // The reason a process gives for dying is usually on its stderr (an uncaught error, a missing module).
    const stderr = details.stderr === undefined || details.stderr === '' ? undefined : details.stderr;
    super(
      'ERR_WORKER_EXIT',
      stderr === undefined ? message : `${message}; its stderr ended with:\n${stderr}`,
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.workerId = workerId;
    this.exitCode = details.exitCode ?? null;
    this.signal = details.signal ?? null;
    this.stderr = stderr;
  }
}

/** A call to a worker ran longer than its `timeoutMs` (`runTimeoutMs` for `pool.run`). */
export class RunTimeoutError extends PoolToyError<'ERR_RUN_TIMEOUT'> {
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
export class WorkerProtocolError extends PoolToyError<'ERR_WORKER_PROTOCOL'> {
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
export class NotInWorkerError extends PoolToyError<'ERR_NOT_IN_WORKER'> {
  constructor() {
    super(
      'ERR_NOT_IN_WORKER',
      'serve() must run inside a worker started by processWorker() or threadWorker(): found neither an IPC channel nor a parent port',
    );
  }
}

/** A pool's status as error messages quote it: who is busy, who waits. */
export interface StatusForError {
  readonly checkedOut: number;
  readonly waiting: number;
}

/** A checkout waited longer than its `timeoutMs` for a worker. */
export class CheckoutTimeoutError extends PoolToyError<'ERR_POOL_CHECKOUT_TIMEOUT'> {
  readonly pool: string;
  readonly timeoutMs: number;

  /** `detail` says what held the workers, e.g. `oldest lease held 31s by GET /report`. */
  constructor(pool: string, timeoutMs: number, status: StatusForError, detail?: string) {
    super(
      'ERR_POOL_CHECKOUT_TIMEOUT',
      `checkout from "${pool}" timed out after ${timeoutMs}ms (${status.checkedOut} busy, ${status.waiting} waiting` +
        `${detail ? `; ${detail}` : ''}); raise size or maxOverflow, release leases sooner, or raise checkoutTimeoutMs`,
    );
    this.pool = pool;
    this.timeoutMs = timeoutMs;
  }
}

/** A non-blocking checkout (`block: false`) found no idle worker and no room to start one. */
export class PoolFullError extends PoolToyError<'ERR_POOL_FULL'> {
  readonly pool: string;

  constructor(pool: string, status: StatusForError) {
    super(
      'ERR_POOL_FULL',
      `pool "${pool}" is full (${status.checkedOut} busy, ${status.waiting} waiting) and the checkout would not wait`,
    );
    this.pool = pool;
  }
}

/** A checkout had to queue but `maxWaiting` clients already wait. */
export class QueueFullError extends PoolToyError<'ERR_POOL_QUEUE_FULL'> {
  readonly pool: string;
  readonly maxWaiting: number;

  constructor(pool: string, maxWaiting: number) {
    super(
      'ERR_POOL_QUEUE_FULL',
      `pool "${pool}" already has ${maxWaiting} waiting checkouts (maxWaiting); shed load or raise maxWaiting`,
    );
    this.pool = pool;
    this.maxWaiting = maxWaiting;
  }
}

/** The pool is stopping or stopped: it hands out no more workers. */
export class PoolStoppedError extends PoolToyError<'ERR_POOL_STOPPED'> {
  readonly pool: string;

  constructor(pool: string) {
    super('ERR_POOL_STOPPED', `pool "${pool}" is stopped`);
    this.pool = pool;
  }
}

/** A worker could not be started; `cause` is the worker kind's error. */
export class WorkerStartError extends PoolToyError<'ERR_WORKER_START'> {
  readonly pool: string;
  readonly workerId: string;

  constructor(pool: string, workerId: string, cause: unknown, message?: string) {
    super(
      'ERR_WORKER_START',
      message ??
        `worker "${workerId}" of pool "${pool}" failed to start: ${cause instanceof Error ? cause.message : describeValue(cause)}`,
      { cause },
    );
    this.pool = pool;
    this.workerId = workerId;
  }
}

/** Why a lease was taken back from its client. */
export type LeaseRevokedReason = 'ownerExited' | 'expired' | 'leaked';

/** The pool took a lease back: its owner ended, it was held past `leaseTimeoutMs`, or it leaked. */
export class LeaseRevokedError extends PoolToyError<'ERR_LEASE_REVOKED'> {
  readonly pool: string;
  readonly workerId: string;
  readonly reason: LeaseRevokedReason;

  constructor(pool: string, workerId: string, reason: LeaseRevokedReason, cause?: unknown) {
    const why = {
      ownerExited: 'its owner ended',
      expired: 'it was held longer than leaseTimeoutMs',
      leaked: 'it became unreachable without a checkin',
    }[reason];
    super('ERR_LEASE_REVOKED', `the lease of worker "${workerId}" from pool "${pool}" was revoked: ${why}`, {
      cause,
    });
    this.pool = pool;
    this.workerId = workerId;
    this.reason = reason;
  }
}

/** A lease's owner (a socket, request, child process…) emitted `close` or `exit`. */
export class OwnerExitError extends PoolToyError<'ERR_OWNER_EXIT'> {
  /** The event the owner emitted. */
  readonly event: string;

  constructor(event: string) {
    super('ERR_OWNER_EXIT', `the owner of the checkout emitted "${event}"`);
    this.event = event;
  }
}

/** The cluster limit's Redis could not be reached or did not answer in time: no slot could be taken or kept. */
export class ClusterLimitUnavailableError extends PoolToyError<'ERR_CLUSTER_LIMIT_UNAVAILABLE'> {
  /** The cluster limit's key in Redis. */
  readonly key: string;

  constructor(key: string, why: string, cause?: unknown) {
    super(
      'ERR_CLUSTER_LIMIT_UNAVAILABLE',
      `the cluster limit "${key}" is unavailable: ${why}; checkouts fail until Redis answers again ` +
        `(or pass onRedisDown: 'local' to fall back to each pool's own limit)`,
      { cause },
    );
    this.key = key;
  }
}

/**
 * Redis answered, but refused the cluster limit's command for a reason that waiting will not fix: the limit's keys
 * hold another type (`WRONGTYPE`), they are not in one hash slot (`CROSSSLOT`), Redis is out of memory (`OOM`) or
 * may evict them (`POOLTOY_EVICTION`), the script failed, or the user lacks a permission. Never a fallback to the
 * pool's own limit: the fix is in Redis' or the limit's configuration.
 */
export class ClusterLimitConfigurationError extends PoolToyError<'ERR_CLUSTER_LIMIT_CONFIGURATION'> {
  readonly key: string;
  /** The first word of Redis' error, e.g. `WRONGTYPE`. */
  readonly redisCode: string;

  constructor(key: string, redisCode: string, redisMessage: string, cause?: unknown) {
    super(
      'ERR_CLUSTER_LIMIT_CONFIGURATION',
      `the cluster limit "${key}" is misconfigured: Redis refused its command with ${JSON.stringify(redisMessage)}; ` +
        'fix Redis or the limit (see docs/cluster.md, "Redis requirements") — checkouts fail until then',
      { cause },
    );
    this.key = key;
    this.redisCode = redisCode;
  }
}

/** A waiter gave up on a cluster slot: every slot stayed held past its `timeoutMs`. */
export class ClusterSlotTimeoutError extends PoolToyError<'ERR_CLUSTER_SLOT_TIMEOUT'> {
  readonly key: string;
  readonly timeoutMs: number;

  constructor(key: string, timeoutMs: number, heldInCluster: number, limit: number, recoverMs = 0) {
    super(
      'ERR_CLUSTER_SLOT_TIMEOUT',
      `waiting for a slot of the cluster limit "${key}" timed out after ${timeoutMs}ms ` +
        (recoverMs > 0
          ? `while the limit recovers from lost Redis data (no new slot for another ${recoverMs}ms, ` +
            'so that the holders of before can re-register or stop)'
          : `(${heldInCluster} of ${limit} slots held across the cluster); raise the limit or release leases sooner`),
    );
    this.key = key;
    this.timeoutMs = timeoutMs;
  }
}

/** A held cluster slot could not be renewed before its lease ran out, so another process may now own it. */
export class ClusterSlotLostError extends PoolToyError<'ERR_CLUSTER_SLOT_LOST'> {
  readonly key: string;

  constructor(key: string, why: string, cause?: unknown) {
    super('ERR_CLUSTER_SLOT_LOST', `a slot of the cluster limit "${key}" was lost: ${why}`, { cause });
    this.key = key;
  }
}

/** The cluster limit was closed: it takes no more slots. */
export class ClusterLimitClosedError extends PoolToyError<'ERR_CLUSTER_LIMIT_CLOSED'> {
  readonly key: string;

  constructor(key: string) {
    super('ERR_CLUSTER_LIMIT_CLOSED', `the cluster limit "${key}" is closed`);
    this.key = key;
  }
}

/** A supervisor could not start one of its children; `cause` is the child's start error. */
export class ChildStartError extends PoolToyError<'ERR_CHILD_START'> {
  readonly supervisorId: string;
  readonly childId: string;

  constructor(supervisorId: string, childId: string, cause: unknown) {
    super('ERR_CHILD_START', `supervisor "${supervisorId}" could not start child "${childId}": ${String(cause)}`, {
      cause,
    });
    this.supervisorId = supervisorId;
    this.childId = childId;
  }
}

/** A supervisor restarted its children more than `maxRestarts` times within `periodMs`, so it gave up. */
export class RestartIntensityError extends PoolToyError<'ERR_RESTART_INTENSITY'> {
  readonly supervisorId: string;
  /** The child whose exit was one restart too many. */
  readonly childId: string;
  /** That child's exit, e.g. `crashed: Error: boom`. */
  readonly lastExit: string;

  constructor(
    supervisorId: string,
    limit: { maxRestarts: number; periodMs: number },
    childId: string,
    lastExit: string,
    cause?: Error,
  ) {
    super(
      'ERR_RESTART_INTENSITY',
      `supervisor "${supervisorId}" gave up after more than ${limit.maxRestarts} restarts within ${limit.periodMs}ms; ` +
        `the last: child "${childId}" ${lastExit}`,
      cause ? { cause } : undefined,
    );
    this.supervisorId = supervisorId;
    this.childId = childId;
    this.lastExit = lastExit;
  }
}

/** A dynamic supervisor already has `maxChildren` children (running or starting). */
export class MaxChildrenError extends PoolToyError<'ERR_MAX_CHILDREN'> {
  readonly supervisorId: string;
  readonly maxChildren: number;

  constructor(supervisorId: string, maxChildren: number) {
    super(
      'ERR_MAX_CHILDREN',
      `supervisor "${supervisorId}" already has its maximum of ${maxChildren} children; terminate one first`,
    );
    this.supervisorId = supervisorId;
    this.maxChildren = maxChildren;
  }
}

/** A registry name is already held by a live child. */
export class NameTakenError extends PoolToyError<'ERR_NAME_TAKEN'> {
  /** The name asked for (`name` is the error's class name, as for every Error). */
  readonly registeredName: string;

  constructor(name: string) {
    super('ERR_NAME_TAKEN', `the name ${JSON.stringify(name)} is already registered to a live child`);
    this.registeredName = name;
  }
}

/** A child id is already used by another (live) child of the same supervisor. */
export class DuplicateChildError extends PoolToyError<'ERR_DUPLICATE_CHILD'> {
  readonly supervisorId: string;
  readonly childId: string;

  constructor(supervisorId: string, childId: string) {
    super('ERR_DUPLICATE_CHILD', `supervisor "${supervisorId}" already has a child with id "${childId}"`);
    this.supervisorId = supervisorId;
    this.childId = childId;
  }
}

/** The supervisor is stopping or has stopped, so it starts no new child. */
export class SupervisorStoppedError extends PoolToyError<'ERR_SUPERVISOR_STOPPED'> {
  readonly supervisorId: string;

  constructor(supervisorId: string) {
    super('ERR_SUPERVISOR_STOPPED', `supervisor "${supervisorId}" is stopping or has stopped`);
    this.supervisorId = supervisorId;
  }
}

/** The registry has stopped (it is a child of the tree too), so it takes no new name. */
export class RegistryStoppedError extends PoolToyError<'ERR_REGISTRY_STOPPED'> {
  constructor() {
    super('ERR_REGISTRY_STOPPED', 'the registry has stopped; register with the one its supervisor started anew');
  }
}

/** A pool's manager crashed (a bug, reported as such); its supervisor restarts it with fresh workers. */
export class PoolCrashedError extends PoolToyError<'ERR_POOL_CRASHED'> {
  readonly pool: string;

  constructor(pool: string, cause: unknown) {
    super(
      'ERR_POOL_CRASHED',
      `the manager of pool "${pool}" crashed and is being restarted: ${cause instanceof Error ? cause.message : describeValue(cause)}`,
      { cause },
    );
    this.pool = pool;
  }
}

/** A pool of that name already runs (or is starting, or still stopping) in the PoolToy tree. */
export class PoolExistsError extends PoolToyError<'ERR_POOL_EXISTS'> {
  readonly pool: string;
  /** Where the pool that holds the name is in its life. */
  readonly state: 'running' | 'starting' | 'stopping';

  constructor(pool: string, state: 'running' | 'starting' | 'stopping') {
    const hint = state === 'stopping' ? '; await its stopPool() first' : '; pick another name or stop it first';
    super('ERR_POOL_EXISTS', `a pool named "${pool}" is already ${state}${hint}`);
    this.pool = pool;
    this.state = state;
  }
}

/** No running pool has that name in the PoolToy tree. */
export class PoolNotFoundError extends PoolToyError<'ERR_POOL_NOT_FOUND'> {
  readonly pool: string;
  /** The names of the pools that do run. */
  readonly known: readonly string[];

  constructor(pool: string, known: readonly string[]) {
    const running = known.length === 0 ? 'no pool runs' : `running: ${known.map((name) => `"${name}"`).join(', ')}`;
    super('ERR_POOL_NOT_FOUND', `no running pool is named "${pool}" (${running})`);
    this.pool = pool;
    this.known = known;
  }
}

/** A pool in a PoolToy tree failed past its restart intensity (or was killed) and was removed from the tree. */
export class PoolFailedError extends PoolToyError<'ERR_POOL_FAILED'> {
  readonly pool: string;

  constructor(pool: string, why: string, cause?: unknown) {
    super('ERR_POOL_FAILED', `pool "${pool}" failed and was removed from the tree: ${why}`, { cause });
    this.pool = pool;
  }
}

/** The PoolToy tree is stopping or has stopped: it starts no pool. */
export class PoolToyStoppedError extends PoolToyError<'ERR_POOLTOY_STOPPED'> {
  constructor() {
    super('ERR_POOLTOY_STOPPED', 'the PoolToy tree is stopping or has stopped; start a new one with PoolToy.start()');
  }
}

/** An optional peer dependency that a feature needs is not installed. */
export class PeerDependencyMissingError extends PoolToyError<'ERR_PEER_DEPENDENCY_MISSING'> {
  readonly dependency: string;

  constructor(dependency: string, feature: string, cause?: unknown) {
    super('ERR_PEER_DEPENDENCY_MISSING', `${feature} needs ${dependency}: npm install ${dependency}`, { cause });
    this.dependency = dependency;
  }
}

/** A call's payload could not be encoded for the worker (a function, a symbol, a cycle under JSON…); the worker never saw it. */
export class UnsendablePayloadError extends PoolToyError<'ERR_WORKER_PAYLOAD_UNSENDABLE'> {
  readonly workerId: string;

  constructor(workerId: string, cause: unknown) {
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(
      'ERR_WORKER_PAYLOAD_UNSENDABLE',
      `the payload of a call to worker "${workerId}" could not be sent (${reason}): expected a value the worker's ` +
        'serialization carries (structured-clone for threads and advanced processes, JSON for the others)',
      { cause },
    );
    this.workerId = workerId;
  }
}

/** A handler's result could not be encoded for the pool (a function, a `BigInt` over JSON, a cycle…); the call fails, the worker serves on. */
export class UnsendableResultError extends PoolToyError<'ERR_WORKER_RESULT_UNSENDABLE'> {
  readonly workerId: string;

  constructor(workerId: string, cause: unknown) {
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(
      'ERR_WORKER_RESULT_UNSENDABLE',
      `the result of a call to worker "${workerId}" could not be sent (${reason}): expected a value the worker's ` +
        'serialization carries (structured-clone for threads and advanced processes, JSON for the others)',
      { cause },
    );
    this.workerId = workerId;
  }
}

/** A client of `pooltoy/pg` was used or released after its `release()`: its connection may serve someone else now. */
export class ClientReleasedError extends PoolToyError<'ERR_PG_CLIENT_RELEASED'> {
  readonly workerId: string;

  constructor(workerId: string, operation: string) {
    super(
      'ERR_PG_CLIENT_RELEASED',
      `${operation} on a client already released to the pool (connection "${workerId}"): expected a client from connect() not yet released`,
    );
    this.workerId = workerId;
  }
}

/**
 * Every error PoolToy throws or rejects with, as one union: a `switch` on `error.code` narrows it to the class,
 * with its fields (`case 'ERR_POOL_CHECKOUT_TIMEOUT': error.timeoutMs`). Check `error instanceof PoolToyError`
 * first, then cast: `switch ((error as AnyPoolToyError).code)`.
 */
export type AnyPoolToyError =
  | InvalidPoolOptionError
  | InvalidArgumentError
  | WorkerExitError
  | RunTimeoutError
  | WorkerProtocolError
  | NotInWorkerError
  | CheckoutTimeoutError
  | PoolFullError
  | QueueFullError
  | PoolStoppedError
  | WorkerStartError
  | LeaseRevokedError
  | OwnerExitError
  | ClusterLimitUnavailableError
  | ClusterSlotTimeoutError
  | ClusterSlotLostError
  | ClusterLimitClosedError
  | ChildStartError
  | RestartIntensityError
  | MaxChildrenError
  | NameTakenError
  | DuplicateChildError
  | SupervisorStoppedError
  | RegistryStoppedError
  | PoolCrashedError
  | PoolExistsError
  | PoolNotFoundError
  | PoolFailedError
  | PoolToyStoppedError
  | PeerDependencyMissingError
  | UnsendablePayloadError
  | UnsendableResultError
  | ClusterLimitConfigurationError
  | ClientReleasedError;

/** The `code` of every PoolToy error, as a union of string literals. */
export type PoolToyErrorCode = AnyPoolToyError['code'];
