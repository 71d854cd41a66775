// One name, one meaning: checkoutTimeoutMs bounds the wait for a worker, runTimeoutMs bounds a call; the old
// per-call `timeoutMs` still works as the deprecated alias of what it meant on each operation.
import { afterEach, describe, expect, it } from 'vitest';
import { CheckoutTimeoutError, InvalidArgumentError, RunTimeoutError } from '../src/errors.js';
import { createPool } from '../src/pool/create-pool.js';
import type { Pool } from '../src/pool/pool.js';
import { threadWorker } from '../src/workers/thread-worker.js';
import type { CallableWorker } from '../src/workers/worker-kind.js';

const echo = new URL('./fixtures/echo.mjs', import.meta.url);
const pools: Pool<CallableWorker>[] = [];

async function onePool(): Promise<Pool<CallableWorker>> {
  const pool = await createPool({ worker: threadWorker(echo), size: 1, maxOverflow: 0 });
  pools.push(pool);
  return pool;
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.stop({ timeoutMs: 0 })));
});

describe('checkoutTimeoutMs bounds the wait for a worker', () => {
  it('on checkout, and so does its deprecated alias timeoutMs', async () => {
    const pool = await onePool();
    const held = await pool.checkout();
    for (const options of [{ checkoutTimeoutMs: 5 }, { timeoutMs: 5 }]) {
      const error = await pool.checkout(options).catch((rejection: unknown) => rejection);
      expect(error).toBeInstanceOf(CheckoutTimeoutError);
      expect(error).toMatchObject({ code: 'ERR_POOL_CHECKOUT_TIMEOUT', timeoutMs: 5 });
    }
    held.release();
  });

  it('on run, where timeoutMs meant the wait too (not the call)', async () => {
    const pool = await onePool();
    const held = await pool.checkout();
    for (const options of [{ checkoutTimeoutMs: 5 }, { timeoutMs: 5 }]) {
      await expect(pool.run('x', options)).rejects.toBeInstanceOf(CheckoutTimeoutError);
    }
    held.release();
    // With a worker free, neither bounds the call: a call longer than the wait still answers.
    expect(await pool.run({ op: 'delay', ms: 20, value: 'slow' }, { checkoutTimeoutMs: 1 })).toBe('slow');
  });
});

describe('runTimeoutMs bounds one call', () => {
  it('on run: RunTimeoutError, the handler hears the abort', async () => {
    const pool = await onePool();
    const error = await pool.run({ op: 'waitForAbort' }, { runTimeoutMs: 5 }).catch((rejection: unknown) => rejection);
    expect(error).toBeInstanceOf(RunTimeoutError);
    expect(error).toMatchObject({ code: 'ERR_RUN_TIMEOUT', timeoutMs: 5 });
  });

  it('on lease.worker.call, and so does its deprecated alias timeoutMs there', async () => {
    const pool = await onePool();
    for (const options of [{ runTimeoutMs: 5 }, { timeoutMs: 5 }]) {
      const lease = await pool.checkout();
      const error = await lease.worker.call({ op: 'waitForAbort' }, options).catch((rejection: unknown) => rejection);
      expect(error).toBeInstanceOf(RunTimeoutError);
      lease.release();
    }
  });
});

describe('a timeout given under both names', () => {
  it('is refused with InvalidArgumentError on checkout, run and call', async () => {
    const pool = await onePool();
    const both = (name: string) => ({ [name]: 10, timeoutMs: 10 });
    const refusals = [
      await pool.checkout(both('checkoutTimeoutMs')).catch((rejection: unknown) => rejection),
      await pool.run('x', both('checkoutTimeoutMs')).catch((rejection: unknown) => rejection),
    ];
    const lease = await pool.checkout();
    refusals.push(await lease.worker.call('x', both('runTimeoutMs')).catch((rejection: unknown) => rejection));
    lease.release();
    for (const refusal of refusals) {
      expect(refusal).toBeInstanceOf(InvalidArgumentError);
      expect(refusal).toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
        expected: expect.stringMatching(/deprecated alias/),
      });
    }
    expect(pool.status()).toMatchObject({ idle: 1, checkedOut: 0, waiting: 0 });
  });

  it('is refused when the new name has a bad value, naming it', async () => {
    const pool = await onePool();
    await expect(pool.checkout({ checkoutTimeoutMs: -1 })).rejects.toThrow(/"checkoutTimeoutMs".*got -1/);
    await expect(pool.run('x', { checkoutTimeoutMs: Number.NaN })).rejects.toThrow(/"checkoutTimeoutMs"/);
    const lease = await pool.checkout();
    await expect(lease.worker.call('x', { runTimeoutMs: -1 })).rejects.toThrow(/"runTimeoutMs".*got -1/);
    lease.release();
  });
});
