// Bad input from a user: every pool option generated wrong (type, sign, NaN, Infinity where not allowed, unknown
// keys), bad names, bad checkout and run options, and checkins of things that are not this pool's leases. Each is
// refused with a typed error naming what was expected and what came; the pool it was aimed at serves on.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError, InvalidPoolOptionError } from '../src/errors.js';
import { MAX_TIMER_MS, parsePoolOptions } from '../src/options.js';
import { createPool } from '../src/pool/create-pool.js';
import type { Pool } from '../src/pool/pool.js';
import { PoolToy } from '../src/pooltoy.js';
import { killableResources } from './fixtures/killable-resources.js';
import { nextPoolEvent } from './fixtures/next-pool-event.js';

// The test's own model of a valid value per option, written from the options' documentation, not from options.ts.
const isCount = (value: unknown) => Number.isInteger(value) && (value as number) >= 0;
const isTimer = (value: unknown) => typeof value === 'number' && value >= 0 && value <= MAX_TIMER_MS;
const isDurationOrInfinity = (value: unknown) => isTimer(value) || value === Number.POSITIVE_INFINITY;
const isValid: Record<string, (value: unknown) => boolean> = {
  name: (value) => typeof value === 'string' && value !== '',
  size: (value) => isCount(value) && (value as number) <= 10_000, // a pool starts its size at once: bounded
  maxOverflow: (value) => isCount(value) && (value as number) <= 10_000,
  overflowTtlMs: isDurationOrInfinity,
  strategy: (value) => value === 'lifo' || value === 'fifo',
  checkoutTimeoutMs: isDurationOrInfinity,
  maxWaiting: (value) => isCount(value) || value === Number.POSITIVE_INFINITY,
  onOwnerExit: (value) => value === 'replace' || value === 'checkin',
  leaseTimeoutMs: isDurationOrInfinity,
  leakDetection: (value) => typeof value === 'boolean',
  maxUses: (value) => (Number.isInteger(value) && (value as number) > 0) || value === Number.POSITIVE_INFINITY,
  maxAgeMs: isDurationOrInfinity,
  maxMemoryMb: (value) => typeof value === 'number' && value > 0,
  startTimeoutMs: isDurationOrInfinity,
  stopTimeoutMs: isDurationOrInfinity,
  runAbortGraceMs: isTimer,
  restartBackoffMs: (value) => isTimer(value) && (value as number) <= 10_000, // not above the default maximum
  restartBackoffMaxMs: (value) => isTimer(value) && (value as number) >= 100, // not below the default first wait
  maxRestarts: isCount,
  restartPeriodMs: isTimer,
  maxPoolRestarts: isCount,
  validateTimeoutMs: isTimer,
  clock: (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { now?: unknown }).now === 'function' &&
    typeof (value as { setTimer?: unknown }).setTimer === 'function',
};
const optionNames = Object.keys(isValid);

/** Values near every boundary an option has, and anything at all. */
const anyValue = fc.oneof(
  fc.constantFrom(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -1,
    -0,
    0,
    0.5,
    1,
    99,
    10_000,
    10_001,
    1e9,
    MAX_TIMER_MS,
    MAX_TIMER_MS + 1,
    '',
    '5',
    'lifo',
    'replace',
    null,
    true,
    {},
    [],
  ),
  fc.double(),
  fc.integer({ min: -5, max: 20 }),
  fc.string(),
  fc.anything(),
);

const pools: Pool<unknown>[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.stop({ timeoutMs: 0 })));
});

describe('createPool options', () => {
  it('refuses every invalid value of every option with InvalidPoolOptionError naming it, and accepts every valid one', async () => {
    const worker = killableResources().kind;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...optionNames), anyValue, async (option, value) => {
        if (value === undefined) return; // undefined means "the default"
        const options = { worker, size: 0, [option]: value };
        if (isValid[option]!(value)) {
          expect(parsePoolOptions(options)[option as 'size']).toBe(value);
          return;
        }
        const error = await createPool(options).then(
          (pool) => {
            pools.push(pool as Pool<unknown>);
            throw new Error(`createPool accepted ${option}: ${String(value)}`);
          },
          (rejection: unknown) => rejection,
        );
        expect(error).toBeInstanceOf(InvalidPoolOptionError);
        // A first backoff above the (default) longest is reported on the longest, which it must not exceed.
        const blamed = option === 'restartBackoffMs' && isTimer(value) ? 'restartBackoffMaxMs' : option;
        const got = blamed === option ? value : 10_000;
        expect(error).toMatchObject({ code: 'ERR_INVALID_POOL_OPTION', option: blamed, got });
        expect((error as InvalidPoolOptionError).expected).toEqual(expect.any(String));
        expect((error as Error).message).toContain(blamed);
      }),
      { numRuns: 600 },
    );
  });

  it('refuses a size or maxOverflow above 10000 before any worker starts, so a typo cannot freeze the process', async () => {
    const resources = killableResources();
    for (const option of ['size', 'maxOverflow']) {
      const error = await createPool({ worker: resources.kind, [option]: 1e9 }).catch(
        (rejection: unknown) => rejection,
      );
      expect(error).toBeInstanceOf(InvalidPoolOptionError);
      expect(error).toMatchObject({ option, expected: 'an integer from 0 to 10000', got: 1e9 });
    }
    expect(resources.created).toHaveLength(0);
  });

  it('refuses an unknown key, however it is spelled, naming it', () => {
    const worker = killableResources().kind;
    fc.assert(
      fc.property(
        fc.string().filter((key) => !optionNames.includes(key) && key !== 'worker'),
        anyValue,
        (key, value) => {
          const options = { worker, ...Object.fromEntries([[key, value]]) };
          expect(() => parsePoolOptions(options)).toThrow(
            expect.objectContaining({ code: 'ERR_INVALID_POOL_OPTION', option: key }),
          );
        },
      ),
    );
  });

  it('refuses options that are not an object, and a missing or fake worker kind', async () => {
    for (const options of [undefined, null, 5, 'size=5']) {
      await expect(createPool(options as never)).rejects.toMatchObject({ option: 'options', got: options });
    }
    for (const worker of [undefined, null, {}, { kind: 'resource' }, { start: () => {} }, () => {}]) {
      await expect(createPool({ worker } as never)).rejects.toMatchObject({ option: 'worker', got: worker });
    }
  });

  it('refuses a first backoff longer than the longest one', () => {
    const worker = killableResources().kind;
    expect(() => parsePoolOptions({ worker, restartBackoffMs: 500, restartBackoffMaxMs: 100 })).toThrow(
      expect.objectContaining({ option: 'restartBackoffMaxMs', got: 100 }),
    );
  });
});

describe('names', () => {
  it('refuses an empty or non-string pool name in createPool and in a tree', async () => {
    const worker = killableResources().kind;
    await expect(createPool({ worker, name: '' })).rejects.toMatchObject({ option: 'name', got: '' });
    const toy = await PoolToy.start();
    try {
      for (const name of ['', 5, null, undefined]) {
        await expect(toy.startPool(name as string, { worker, size: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
      }
      expect(toy.pools()).toEqual([]);
    } finally {
      await toy.stop();
    }
  });

  it('refuses a duplicate pool name, and the first pool of that name serves on', async () => {
    const toy = await PoolToy.start();
    try {
      const first = await toy.startPool('db', { worker: killableResources().kind, size: 1 });
      await expect(toy.startPool('db', { worker: killableResources().kind, size: 1 })).rejects.toMatchObject({
        code: 'ERR_POOL_EXISTS',
      });
      expect(toy.pool('db')).toBe(first);
      expect(await first.transaction((resource) => resource.id)).toMatch(/^db#/);
      expect(() => toy.pool('nope')).toThrow(expect.objectContaining({ code: 'ERR_POOL_NOT_FOUND' }));
    } finally {
      await toy.stop();
    }
  });
});

describe('checkin', () => {
  it('throws TypeError at once for a value that is not a lease, and the pool serves on', async () => {
    const pool = await createPool({ worker: killableResources().kind, size: 1, maxOverflow: 0 });
    pools.push(pool as Pool<unknown>);
    const lease = await pool.checkout();
    const fakes = [undefined, null, 1, 'lease', {}, { worker: lease.worker, workerId: lease.workerId }, [lease]];
    for (const fake of fakes) expect(() => pool.checkin(fake as never)).toThrow(TypeError);
    expect(pool.status()).toMatchObject({ checkedOut: 1, idle: 0 });
    lease.release();
    expect(pool.status()).toMatchObject({ checkedOut: 0, idle: 1 });
  });

  it("ignores another pool's lease, saying so, and leaves both pools' counts alone", async () => {
    const ours = await createPool({ name: 'ours', worker: killableResources().kind, size: 1, maxOverflow: 0 });
    const theirs = await createPool({ name: 'theirs', worker: killableResources().kind, size: 1, maxOverflow: 0 });
    pools.push(ours as Pool<unknown>, theirs as Pool<unknown>);
    const foreign = await theirs.checkout();
    const ignored = nextPoolEvent(ours, 'checkin:ignored');
    ours.checkin(foreign);
    expect(await ignored).toEqual({ workerId: foreign.workerId, reason: 'foreign' });
    expect(foreign.isActive).toBe(true);
    expect(theirs.status()).toMatchObject({ checkedOut: 1 });
    expect(ours.status()).toMatchObject({ checkedOut: 0, idle: 1 });
    foreign.release();
    expect(theirs.status()).toMatchObject({ checkedOut: 0, idle: 1 });
  });
});

describe('checkout and run options', () => {
  it('refuses bad checkout options with InvalidArgumentError, expected and got, without queueing', async () => {
    const pool = await createPool({ worker: killableResources().kind, size: 1, maxOverflow: 0 });
    pools.push(pool as Pool<unknown>);
    const bad: object[] = [
      { timeoutMs: -1 },
      { timeoutMs: Number.NaN },
      { timeoutMs: '10' },
      { block: 'no' },
      { signal: {} },
      { owner: 42 },
      { owner: {} },
      { tiemoutMs: 10 },
    ];
    for (const options of bad) {
      const error = await pool.checkout(options).catch((rejection: unknown) => rejection);
      expect(error).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', expected: expect.any(String) });
    }
    expect(pool.status()).toMatchObject({ idle: 1, checkedOut: 0, waiting: 0 });
  });

  it('refuses bad run options before taking a worker', async () => {
    const pool = await createPool({ worker: killableResources().kind, size: 1, maxOverflow: 0 });
    pools.push(pool as Pool<unknown>);
    for (const options of [{ runTimeoutMs: -5 }, { runTimeoutMs: Number.NaN }, { retries: 3 }, null]) {
      await expect(pool.run('x' as never, options as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    }
    // A resource worker answers no calls: a compile error, and at run time a typed refusal; the worker goes back.
    // @ts-expect-error a resource without call() takes no payload
    await expect(pool.run('x')).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(pool.status()).toMatchObject({ idle: 1, checkedOut: 0 });
  });
});
