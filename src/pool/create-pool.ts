// Building a pool: its tree is a pool supervisor (one-for-all) over a worker supervisor (dynamic, temporary
// children) and the pool manager. One-for-all, because a manager restarted alone would not know the workers left
// behind, and workers restarted alone would be unknown to the manager.
import { PoolFailedError, WorkerStartError } from '../errors.js';
import { type PoolConfig, type PoolOptions, parsePoolOptions } from '../options.js';
import { Child, type ChildSpec } from '../supervisor/child.js';
import { DynamicSupervisor } from '../supervisor/dynamic-supervisor.js';
import { crashedExit, describeExit, type Exit, isAbnormal, killedExit, shutdownExit } from '../supervisor/exit.js';
import { Supervisor } from '../supervisor/supervisor.js';
import { withCallSlots } from '../workers/call-slots.js';
import { Pool } from './pool.js';
import { PoolManager } from './pool-manager.js';
import { WorkerSupervisorHost } from './worker-supervisor-host.js';

/** A started pool tree: the supervisor a parent tree hosts as its child, and the pool it serves. */
export interface PoolTree<W> {
  readonly supervisor: Supervisor;
  readonly pool: Pool<W>;
}

/** Start a pool; resolves once its `size` workers are ready, rejects `WorkerStartError` if none of them started. */
export async function createPool<W>(options: PoolOptions<W>): Promise<Pool<W>> {
  const { pool } = await startPoolTree(options);
  return pool;
}

/**
 * Start a pool's whole tree (for `PoolToy`, which hosts `supervisor` as its child and calls this again to rebuild
 * the pool after a restart). Resolves once the first `size` starts have settled and at least one worker is ready.
 */
export async function startPoolTree<W>(options: PoolOptions<W> | PoolConfig<W>): Promise<PoolTree<W>> {
  // parsePoolOptions adds the config's 25 keys one by one, past the count at which V8 turns an object into a hash
  // table (dictionary mode): a spread copy is an ordinary fast object again, and the hot path reads it about eight
  // times per checkout and checkin (measured: A2 ~10% faster).
  const config = withCallSlots(parsePoolOptions(options as PoolOptions<W>));
  const pool = new Pool<W>(config);
  let workers: DynamicSupervisor | undefined;
  let firstManager: PoolManager<W> | undefined;
  const workersSpec: ChildSpec<DynamicSupervisor> = {
    id: 'workers',
    type: 'supervisor',
    shutdown: 'infinity',
    start: async () => {
      workers = new DynamicSupervisor({ id: `${config.name}:workers`, clock: config.clock });
      return workers;
    },
  };
  const managerSpec: ChildSpec<ManagerChild<W>> = {
    id: 'manager',
    shutdown: 'infinity',
    start: async () => {
      const host = new WorkerSupervisorHost<W>(config, workers!);
      const manager = new PoolManager<W>(config, host, pool.events);
      host.attach(manager);
      firstManager ??= manager;
      pool.attach(manager, () => supervisor.shutdown());
      const child = new ManagerChild(manager);
      manager.start();
      return child;
    },
  };
  const supervisor = new Supervisor({
    id: `pool:${config.name}`,
    strategy: 'one-for-all',
    maxRestarts: config.maxPoolRestarts,
    periodMs: config.restartPeriodMs,
    children: [workersSpec, managerSpec],
    clock: config.clock,
  });
  // Past its restart intensity the pool supervisor gives up: the pool is gone for good, and every checkout says so
  // (while it restarts within the intensity, checkouts get `PoolCrashedError`: try again shortly).
  supervisor.onExit((exit) => {
    if (isAbnormal(exit)) {
      const cause = exit.kind === 'crashed' ? exit.error : undefined;
      pool.fail(new PoolFailedError(config.name, describeExit(exit), cause));
    }
  });
  await supervisor.start();
  const manager = firstManager!;
  await manager.settled();
  const { succeeded, lastError } = manager.startOutcome;
  if (config.size > 0 && succeeded === 0 && lastError !== undefined) {
    await pool.stop({ timeoutMs: 0 });
    throw new WorkerStartError(
      config.name,
      lastError.workerId,
      lastError.cause,
      `pool "${config.name}" could not start any of its ${config.size} workers: ${lastError.message}`,
    );
  }
  return { supervisor, pool };
}

/** The manager as a child of the pool supervisor: it exits `crashed` when its state machine throws. */
class ManagerChild<W> extends Child {
  readonly #manager: PoolManager<W>;

  constructor(manager: PoolManager<W>) {
    super();
    this.#manager = manager;
    manager.onCrash = (error) => this.reportExit(crashedExit(error));
  }

  // Stopped by its supervisor (the pool stops, or a one-for-all restart): clients are told now; the worker
  // supervisor, stopped next, stops the workers.
  stop(): void {
    this.#end(shutdownExit);
  }

  kill(): void {
    this.#end(killedExit());
  }

  #end(exit: Exit): void {
    if (this.hasExited) return;
    this.#manager.stopAll();
    this.reportExit(exit);
  }
}
