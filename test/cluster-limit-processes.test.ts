// Real processes sharing one cluster limit on a real Redis: the limit holds under load, survives a SIGKILLed
// member and a Redis restart. The members run test/fixtures/cluster-member.mjs against dist/ (`npm run build`).
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClusterSemaphore } from '../src/cluster/index.js';
import { connectRedis, deleteLimitKeys, describeWithRedis, redisPort, uniqueKey } from './fixtures/local-redis.js';
import { RedisServerProcess } from './fixtures/redis-server-process.js';

// Several processes start and run under load on a shared 2-core machine.
const processTestTimeoutMs = 120_000;
const memberScript = fileURLToPath(new URL('./fixtures/cluster-member.mjs', import.meta.url));

interface MemberMessage {
  readonly type: 'running' | 'done' | 'error' | 'holding' | 'stopped';
  readonly running?: number;
  readonly code?: string;
  readonly held?: number;
  readonly busyMs?: number;
}

/** What the parent sees of all members together. */
class Cluster {
  readonly members: ChildProcess[] = [];
  maxRunning = 0;
  done = 0;
  busyMs = 0;
  readonly errors = new Map<string, number>();
  readonly #waits: { isMet: () => boolean; resolve: () => void }[] = [];

  start(options: Record<string, unknown>): ChildProcess {
    const member = fork(memberScript, [JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    member.on('message', (message: MemberMessage) => {
      if (message.type === 'running') this.maxRunning = Math.max(this.maxRunning, message.running!);
      if (message.type === 'done') this.done++;
      if (message.type === 'stopped') this.busyMs += message.busyMs!;
      if (message.type === 'error') this.errors.set(message.code!, (this.errors.get(message.code!) ?? 0) + 1);
      for (const wait of this.#waits.splice(0)) {
        if (wait.isMet()) wait.resolve();
        else this.#waits.push(wait);
      }
    });
    this.members.push(member);
    return member;
  }

  /** Resolves once `isMet()` holds after some message (or now). */
  until(isMet: () => boolean): Promise<void> {
    if (isMet()) return Promise.resolve();
    return new Promise((resolve) => this.#waits.push({ isMet, resolve }));
  }

  /** Ask every member to stop (reporting its busy time within `window`) and wait for all of them to exit. */
  async stop(window?: { from: number; to: number }): Promise<void> {
    await Promise.all(
      this.members.map(async (member) => {
        if (member.exitCode !== null || member.signalCode !== null) return;
        const exited = once(member, 'exit');
        if (member.connected) member.send({ type: 'stop', window });
        else member.kill('SIGKILL');
        await exited;
      }),
    );
  }

  /** Kill whatever is left (after a failed test). */
  kill(): void {
    for (const member of this.members)
      if (member.exitCode === null && member.signalCode === null) member.kill('SIGKILL');
  }
}

describeWithRedis('a cluster limit shared by processes', () => {
  let redis: Redis;
  let key: string;
  let cluster: Cluster;
  const load = { mode: 'load', limit: 8, clients: 8, workMs: 30, counterPort: redisPort };
  const wallNow = () => performance.timeOrigin + performance.now();

  beforeEach(() => {
    redis = connectRedis();
    key = uniqueKey();
    cluster = new Cluster();
  });

  afterEach(async () => {
    cluster.kill();
    await deleteLimitKeys(redis, key, 'running');
    redis.disconnect();
  });

  describe('checkout under load', () => {
    it(
      'never lets four processes with pools of 5 exceed a limit of 8, and uses all 8 slots',
      async () => {
        // Work long enough that slow hand-offs on a loaded machine still let all 8 overlap.
        const work = {
          ...load,
          workMs: 100,
          key,
          limitPort: redisPort,
          limitOptions: { leaseTtlMs: 2000, pollMaxMs: 25 },
        };
        for (let i = 0; i < 4; i++) cluster.start(work);
        await cluster.until(() => cluster.done >= 150);
        await cluster.stop();
        expect(cluster.maxRunning).toBe(8);
        expect(Object.fromEntries(cluster.errors)).toEqual({});
      },
      processTestTimeoutMs,
    );

    it(
      'hands a freed slot to the next in line without waiting for a poll: with default settings, four processes with 20ms holds keep on average at least 4.5 of 6 slots in use, never more than 6',
      async () => {
        const work = { ...load, limit: 6, workMs: 20, key, limitPort: redisPort };
        for (let i = 0; i < 4; i++) cluster.start(work);
        // Measure once every member runs, over the next 600 transactions.
        await cluster.until(() => cluster.done >= 100);
        const from = wallNow();
        const doneAtStart = cluster.done;
        await cluster.until(() => cluster.done >= doneAtStart + 600);
        const to = wallNow();
        await cluster.stop({ from, to });
        const averageInUse = cluster.busyMs / (to - from);
        console.log(`hand-off: ${averageInUse.toFixed(2)} of 6 slots in use on average, at most ${cluster.maxRunning}`);
        expect(cluster.maxRunning).toBeLessThanOrEqual(6);
        expect(averageInUse).toBeGreaterThanOrEqual(4.5);
        expect(Object.fromEntries(cluster.errors)).toEqual({});
      },
      processTestTimeoutMs,
    );
  });

  describe('member death', () => {
    it(
      'gives the slots of a SIGKILLed process back once their TTL has passed',
      async () => {
        const leaseTtlMs = 2000;
        const holder = cluster.start({
          mode: 'hold',
          key,
          limit: 8,
          limitOptions: { leaseTtlMs },
          limitPort: redisPort,
          counterPort: redisPort,
        });
        const [holding] = (await once(holder, 'message')) as [MemberMessage];
        expect(holding).toMatchObject({ type: 'holding', held: 5 });
        const here = new ClusterSemaphore({ redis, key, limit: 8, leaseTtlMs });
        try {
          for (let i = 0; i < 3; i++) await here.take({ timeoutMs: 0 });
          const exited = once(holder, 'exit');
          holder.kill('SIGKILL');
          await exited;
          // Killed, not gone: its 5 slots stay taken until Redis expires them.
          await expect(here.take({ timeoutMs: 0 })).rejects.toMatchObject({ code: 'ERR_CLUSTER_SLOT_TIMEOUT' });
          for (let i = 0; i < 5; i++) await here.take({ timeoutMs: 10 * leaseTtlMs });
          expect(here.status()).toMatchObject({ heldHere: 8, heldInCluster: 8 });
        } finally {
          await here.close();
        }
      },
      processTestTimeoutMs,
    );
  });

  describe('Redis restart', () => {
    let server: RedisServerProcess;

    beforeEach(async () => {
      server = await RedisServerProcess.start();
    });

    afterEach(async () => {
      await server.kill();
    });

    it(
      'fails checkouts with a typed error while Redis is down, never exceeds the limit, and recovers',
      async () => {
        for (let i = 0; i < 4; i++)
          cluster.start({
            ...load,
            key,
            limitPort: server.port,
            limitOptions: { leaseTtlMs: 1500, pollMaxMs: 25 },
          });
        await cluster.until(() => cluster.done >= 100);
        await server.kill();
        await cluster.until(() => (cluster.errors.get('ERR_CLUSTER_LIMIT_UNAVAILABLE') ?? 0) > 0);
        await server.restart();
        const doneBefore = cluster.done;
        await cluster.until(() => cluster.done >= doneBefore + 100);
        await cluster.stop();
        expect(cluster.maxRunning).toBeLessThanOrEqual(8);
        // Only the outage's own error, typed; nothing else went wrong.
        expect([...cluster.errors.keys()]).toEqual(['ERR_CLUSTER_LIMIT_UNAVAILABLE']);
      },
      processTestTimeoutMs,
    );
  });
});
