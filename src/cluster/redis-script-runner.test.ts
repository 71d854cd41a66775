import type { Redis } from 'ioredis';
import { ReplyError } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { RedisScriptRunner } from './redis-script-runner.js';
import { semaphoreScripts } from './semaphore-scripts.js';

/** A runner whose Redis answers every script with `error` (the reply parsing under test is the runner's own). */
function runnerAnswering(error: Error): RedisScriptRunner {
  const redis = { status: 'ready', evalsha: () => Promise.reject(error) } as unknown as Redis;
  return new RedisScriptRunner({ redis, key: 'k', clock: new ManualClock(), redisTimeoutMs: 1000 }, () => {});
}

describe('RedisScriptRunner', () => {
  it.each(['LOADING', 'BUSY', 'CLUSTERDOWN', 'TRYAGAIN', 'MASTERDOWN', 'READONLY', 'MISCONF'])(
    'counts a %s reply as Redis being down (it may pass)',
    async (code) => {
      await expect(
        runnerAnswering(new ReplyError(`${code} not now`)).run(semaphoreScripts.count, []),
      ).rejects.toMatchObject({
        code: 'ERR_CLUSTER_LIMIT_UNAVAILABLE',
      });
    },
  );

  it.each(['WRONGTYPE', 'CROSSSLOT', 'OOM', 'NOPERM', 'POOLTOY_EVICTION', 'ERR'])(
    'counts a %s reply as a configuration error (it will not pass by waiting)',
    async (code) => {
      await expect(
        runnerAnswering(new ReplyError(`${code} refused`)).run(semaphoreScripts.count, []),
      ).rejects.toMatchObject({
        code: 'ERR_CLUSTER_LIMIT_CONFIGURATION',
        redisCode: code,
      });
    },
  );

  it('counts a failed connection as Redis being down', async () => {
    await expect(
      runnerAnswering(new Error('connect ECONNREFUSED')).run(semaphoreScripts.count, []),
    ).rejects.toMatchObject({
      code: 'ERR_CLUSTER_LIMIT_UNAVAILABLE',
    });
  });
});
