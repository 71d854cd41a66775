// Starts bounded by the pool, whatever the worker kind does with its signal: a kind that ignores the abort must not
// hang `pool.stop()`, and the worker it makes too late is killed, not leaked.
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { PoolStoppedError, WorkerStartError } from '../errors.js';
import { ExitReporter } from '../supervisor/child.js';
import { type Exit, killedExit, shutdownExit } from '../supervisor/exit.js';
import type { WorkerHandle, WorkerKind } from '../workers/worker-kind.js';
import { createPool } from './create-pool.js';
import type { Pool } from './pool.js';

/** A worker whose stop and kill the test can see. */
class StubbornHandle implements WorkerHandle<string> {
  readonly worker = 'stubborn';
  readonly #reporter = new ExitReporter();
  constructor(readonly workerId: string) {}
  get exited(): Promise<Exit> {
    return this.#reporter.exited;
  }
  get exit(): Exit | undefined {
    return this.#reporter.exit;
  }
  onExit(listener: (exit: Exit) => void): () => void {
    return this.#reporter.onExit(listener);
  }
  stop(): void {
    this.#reporter.report(shutdownExit);
  }
  kill(): void {
    this.#reporter.report(killedExit('SIGKILL'));
  }
}

/** A kind whose starts ignore `ctx.signal` and finish only when the test says so. */
function stubbornKind() {
  const finishes: (() => StubbornHandle)[] = [];
  let onRequested!: () => void;
  const requested = new Promise<void>((resolve) => {
    onRequested = resolve;
  });
  const kind: WorkerKind<string> = {
    kind: 'stubborn',
    start: (context) =>
      new Promise<StubbornHandle>((resolve) => {
        finishes.push(() => {
          const handle = new StubbornHandle(context.workerId);
          resolve(handle);
          return handle;
        });
        onRequested();
      }),
  };
  return { kind, finishes, requested };
}

const pools: Pool<string>[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.stop({ timeoutMs: 0 })));
});

describe('a start that ignores its signal', () => {
  it('does not hold up pool.stop(), and the worker it makes late is killed', async () => {
    const stubborn = stubbornKind();
    const pool = await createPool({ name: 'stubborn', worker: stubborn.kind, size: 0, maxOverflow: 1 });
    const checkout = pool.checkout().catch((error: unknown) => error);
    await stubborn.requested;
    const report = await pool.stop({ timeoutMs: 0 });
    expect(report).toEqual({ killed: [], leasesHeld: [] });
    expect(await checkout).toBeInstanceOf(PoolStoppedError);
    const late = stubborn.finishes[0]!();
    expect(await late.exited).toEqual(killedExit('SIGKILL'));
  });

  it('fails after startTimeoutMs, and the worker it makes late is killed', async () => {
    const clock = new ManualClock();
    const stubborn = stubbornKind();
    const pool = await createPool({
      name: 'stubborn-timeout',
      worker: stubborn.kind,
      size: 0,
      maxOverflow: 1,
      startTimeoutMs: 1000,
      clock,
    });
    pools.push(pool);
    const checkout = pool.checkout({ checkoutTimeoutMs: Number.POSITIVE_INFINITY }).catch((error: unknown) => error);
    await stubborn.requested;
    const failed = new Promise<unknown>((resolve) => pool.once('worker:startFailed', ({ error }) => resolve(error)));
    clock.advance(1000);
    const error = await failed;
    expect(error).toBeInstanceOf(WorkerStartError);
    expect((error as Error).message).toMatch(/startTimeoutMs \(1000ms\)/);
    const late = stubborn.finishes[0]!();
    expect(await late.exited).toEqual(killedExit('SIGKILL'));
    await pool.stop({ timeoutMs: 0 });
    expect(await checkout).toBeInstanceOf(PoolStoppedError);
  });
});
