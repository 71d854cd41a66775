// One pool as a child of the pools supervisor: the pool supervisor's life, with the Pool it serves beside it, so
// the registry can hand out the Pool and the tree can draw and stop its subtree through one handle.
import type { SupervisorSnapshot } from '../observer/snapshot.js';
import type { PoolConfig } from '../options.js';
import { startPoolTree } from '../pool/create-pool.js';
import type { Pool } from '../pool/pool.js';
import type { ChildHandle, ExitListener } from '../supervisor/child.js';
import type { DynamicSupervisor } from '../supervisor/dynamic-supervisor.js';
import type { Exit } from '../supervisor/exit.js';
import type { Supervisor } from '../supervisor/supervisor.js';

/** A started pool tree as a `ChildHandle`: it lives and exits with the pool's one-for-all supervisor. */
export class PoolChild<W = unknown> implements ChildHandle {
  /** The pool clients use; the same object across restarts of the pool's manager and workers. */
  readonly pool: Pool<W>;
  /** The pool's one-for-all supervisor (worker supervisor + manager). */
  readonly supervisor: Supervisor;

  private constructor(pool: Pool<W>, supervisor: Supervisor) {
    this.pool = pool;
    this.supervisor = supervisor;
  }

  /** Start the pool's tree; resolves once its first workers are ready (rejects as `createPool` does). */
  static async start<W>(config: PoolConfig<W>): Promise<PoolChild<W>> {
    const { pool, supervisor } = await startPoolTree(config);
    return new PoolChild(pool, supervisor);
  }

  get exited(): Promise<Exit> {
    return this.supervisor.exited;
  }

  get exit(): Exit | undefined {
    return this.supervisor.exit;
  }

  onExit(listener: ExitListener): () => void {
    return this.supervisor.onExit(listener);
  }

  /** Stop the pool as `pool.stop()` does (leases revoked, workers stopped), so a tree stop leaves nothing behind. */
  stop(): void {
    // A stop that fails is a bug below; killing the subtree still leaves no worker behind.
    this.pool.stop({ timeoutMs: 0 }).catch(() => this.supervisor.kill());
  }

  kill(): void {
    this.supervisor.kill();
  }

  /** The pool's subtree, for the tree's snapshot. */
  snapshot(): SupervisorSnapshot {
    return this.supervisor.snapshot();
  }

  /** Kill one worker at once, as a crash would (the manager replaces it); false when no such worker runs. */
  killWorker(workerId: string): boolean {
    // The worker supervisor is the pool supervisor's child "workers" (see startPoolTree); workers are its children.
    const workers = this.supervisor.whichChildren().find((child) => child.id === 'workers')?.handle as
      | DynamicSupervisor
      | undefined;
    const worker = workers?.whichChildren().find((child) => child.id === workerId)?.handle;
    if (worker === undefined || worker.exit !== undefined) return false;
    worker.kill();
    return true;
  }
}
