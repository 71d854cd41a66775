import { describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from './clock.js';
import { InvalidPoolOptionError } from './errors.js';
import { MAX_TIMER_MS, type PoolOptions, parsePoolOptions } from './options.js';
import { resourceWorker } from './workers/resource-worker.js';

const worker = resourceWorker({ create: () => ({}) });

/** The error `parsePoolOptions` throws for `options`, or fails the test. */
function rejectionOf(options: unknown): InvalidPoolOptionError {
  try {
    parsePoolOptions(options as PoolOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidPoolOptionError);
    return error as InvalidPoolOptionError;
  }
  throw new Error(`accepted ${JSON.stringify(options)}`);
}

const duration = [-1, 1.5e10, Number.NaN, '100', null];
const finiteDuration = [...duration, Number.POSITIVE_INFINITY];
const count = [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '3', null];

// One row per option: values that must be refused, and one that must be accepted.
const cases: Record<string, { bad: unknown[]; good: unknown }> = {
  name: { bad: ['', 3, null], good: 'db' },
  worker: { bad: [null, {}, { kind: 'x' }, { start() {} }, 'resource'], good: worker },
  size: { bad: [...count, 10_001, 1e9], good: 10_000 },
  maxOverflow: { bad: [...count, 10_001, 1e9], good: 10_000 },
  overflowTtlMs: { bad: duration, good: Number.POSITIVE_INFINITY },
  strategy: { bad: ['LIFO', 'random', 1, null], good: 'fifo' },
  checkoutTimeoutMs: { bad: duration, good: 0 },
  maxWaiting: { bad: [-1, 1.5, '1', null], good: Number.POSITIVE_INFINITY },
  onOwnerExit: { bad: ['kill', true, null], good: 'checkin' },
  leaseTimeoutMs: { bad: duration, good: MAX_TIMER_MS },
  leakDetection: { bad: [1, 'yes', null], good: true },
  maxUses: { bad: [0, -1, 1.5, '1', null], good: 1 },
  maxAgeMs: { bad: duration, good: 60_000 },
  maxMemoryMb: { bad: [0, -5, '512', null], good: 0.5 },
  startTimeoutMs: { bad: duration, good: Number.POSITIVE_INFINITY },
  stopTimeoutMs: { bad: duration, good: 0 },
  runAbortGraceMs: { bad: finiteDuration, good: 0 },
  restartBackoffMs: { bad: finiteDuration, good: 0 },
  restartBackoffMaxMs: { bad: finiteDuration, good: 20_000 },
  maxRestarts: { bad: count, good: 0 },
  restartPeriodMs: { bad: finiteDuration, good: 1 },
  minHealthyMs: { bad: finiteDuration, good: 0 },
  validateTimeoutMs: { bad: finiteDuration, good: 250 },
  maxPoolRestarts: { bad: count, good: 0 },
  clock: { bad: [null, {}, { now: () => 0 }, Date], good: new ManualClock() },
};

describe('parsePoolOptions', () => {
  it('fills every default from only a worker', () => {
    expect(parsePoolOptions({ worker })).toMatchObject({
      name: 'pool',
      size: 5,
      maxOverflow: 5,
      overflowTtlMs: 10_000,
      strategy: 'lifo',
      checkoutTimeoutMs: 5000,
      maxWaiting: Number.POSITIVE_INFINITY,
      onOwnerExit: 'replace',
      leakDetection: false,
      minHealthyMs: 1000,
      clock: systemClock,
    });
  });

  it('bounds a health check by the checkout it is for: validateTimeoutMs defaults to the smaller of 5000 and checkoutTimeoutMs', () => {
    expect(parsePoolOptions({ worker }).validateTimeoutMs).toBe(5000);
    expect(parsePoolOptions({ worker, checkoutTimeoutMs: 800 }).validateTimeoutMs).toBe(800);
    expect(parsePoolOptions({ worker, checkoutTimeoutMs: Number.POSITIVE_INFINITY }).validateTimeoutMs).toBe(5000);
    expect(parsePoolOptions({ worker, checkoutTimeoutMs: 800, validateTimeoutMs: 2000 }).validateTimeoutMs).toBe(2000);
  });

  it('returns a frozen config', () => {
    expect(Object.isFrozen(parsePoolOptions({ worker }))).toBe(true);
  });

  for (const [option, { bad, good }] of Object.entries(cases)) {
    it(`refuses bad values of "${option}", naming it, what was expected and what was got`, () => {
      for (const value of bad) {
        const error = rejectionOf({ worker, [option]: value });
        expect(error).toMatchObject({ code: 'ERR_INVALID_POOL_OPTION', option, got: value });
        expect(error.expected).toEqual(expect.any(String));
        expect(error.message).toContain(`"${option}"`);
      }
    });

    it(`accepts a good value of "${option}"`, () => {
      expect(parsePoolOptions({ worker, [option]: good } as PoolOptions)).toHaveProperty(option, good);
    });
  }

  it('requires a worker', () => {
    expect(rejectionOf({ size: 1 })).toMatchObject({ option: 'worker', expected: 'a value (required)' });
  });

  it('refuses unknown keys, listing the known ones (a typo must not mean a default)', () => {
    const error = rejectionOf({ worker, minHealthMs: 10 });
    expect(error.option).toBe('minHealthMs');
    expect(error.expected).toContain('minHealthyMs');
  });

  it('refuses options that are not an object', () => {
    for (const options of [undefined, null, 5, 'db']) expect(rejectionOf(options).option).toBe('options');
  });

  it('refuses a backoff ceiling below the first backoff', () => {
    const error = rejectionOf({ worker, restartBackoffMs: 500, restartBackoffMaxMs: 100 });
    expect(error).toMatchObject({ option: 'restartBackoffMaxMs', got: 100 });
    expect(error.expected).toContain('500');
  });
});
