import diagnosticsChannel from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { type KillableResource, killableResources } from '../../test/fixtures/killable-resources.js';
import { ManualClock } from '../clock.js';
import { CheckoutTimeoutError } from '../errors.js';
import { createPool } from './create-pool.js';
import { hasDiagnosticsSubscribers, type PoolDiagnosticsMessage, poolDiagnosticsChannels } from './diagnostics.js';
import type { Pool } from './pool.js';

const pools: Pool<KillableResource>[] = [];
const subscriptions: (() => void)[] = [];

afterEach(async () => {
  for (const unsubscribe of subscriptions.splice(0)) unsubscribe();
  await Promise.all(pools.splice(0).map((pool) => pool.stop({ timeoutMs: 0 })));
});

async function newPool(name: string, clock = new ManualClock()) {
  const resources = killableResources();
  const pool = await createPool({
    name,
    worker: resources.kind,
    size: 1,
    maxOverflow: 1,
    overflowTtlMs: 0,
    clock,
  });
  pools.push(pool);
  return { pool, resources };
}

/** Subscribe to one channel for the rest of the test; the messages land in the returned array. */
function listen(channelName: string): PoolDiagnosticsMessage[] {
  const messages: PoolDiagnosticsMessage[] = [];
  const onMessage = (message: unknown) => messages.push(message as PoolDiagnosticsMessage);
  diagnosticsChannel.subscribe(channelName, onMessage);
  subscriptions.push(() => diagnosticsChannel.unsubscribe(channelName, onMessage));
  return messages;
}

describe('the channels', () => {
  it('are named pooltoy:<subject>, one per event subject', () => {
    expect(poolDiagnosticsChannels).toEqual({
      checkout: 'pooltoy:checkout',
      checkin: 'pooltoy:checkin',
      worker: 'pooltoy:worker',
      lease: 'pooltoy:lease',
      overflow: 'pooltoy:overflow',
      pool: 'pooltoy:pool',
    });
  });

  it('have no subscriber until a tool subscribes, and none after it leaves', () => {
    expect(hasDiagnosticsSubscribers()).toBe(false);
    listen('pooltoy:lease');
    expect(hasDiagnosticsSubscribers()).toBe(true);
    for (const unsubscribe of subscriptions.splice(0)) unsubscribe();
    expect(hasDiagnosticsSubscribers()).toBe(false);
  });
});

describe('publishing', () => {
  it('publishes a checkout and its checkin with the pool name, the event name and the payload', async () => {
    const checkouts = listen('pooltoy:checkout');
    const checkins = listen('pooltoy:checkin');
    const { pool } = await newPool('db');
    const lease = await pool.checkout();
    lease.release();
    expect(checkouts).toEqual([{ pool: 'db', event: 'checkout:granted', workerId: lease.workerId, waitMs: 0 }]);
    expect(checkins).toEqual([{ pool: 'db', event: 'checkin:done', workerId: lease.workerId, heldMs: 0 }]);
  });

  it('publishes worker events on pooltoy:worker, including a death and its replacement', async () => {
    const clock = new ManualClock();
    const { pool, resources } = await newPool('cache', clock);
    const messages = listen('pooltoy:worker');
    clock.advance(1000); // up past minHealthyMs: its death is a crash, not a failed start to back off from
    const dead = resources.created[0]!;
    const crash = new Error('connection reset');
    const replaced = new Promise((resolve) => pool.once('worker:started', resolve));
    dead.kill(crash);
    await replaced;
    const exited = messages.find((message) => message.event === 'worker:exited');
    expect(exited).toMatchObject({ pool: 'cache', workerId: dead.id, exit: { kind: 'crashed', error: crash } });
    const replacement = resources.created[1]!;
    expect(messages.filter((message) => message.event === 'worker:started')).toEqual([
      { pool: 'cache', event: 'worker:started', workerId: replacement.id, startMs: 0 },
    ]);
  });

  it('publishes overflow, timeout and pool events on their own channels', async () => {
    const clock = new ManualClock();
    const { pool } = await newPool('jobs', clock);
    const overflow = listen('pooltoy:overflow');
    const checkouts = listen('pooltoy:checkout');
    const poolEvents = listen('pooltoy:pool');
    const first = await pool.checkout();
    const second = await pool.checkout(); // the overflow worker
    const third = pool.checkout({ checkoutTimeoutMs: 100 });
    clock.advance(100);
    await expect(third).rejects.toBeInstanceOf(CheckoutTimeoutError);
    second.release(); // over size with nobody waiting: dismissed at once (overflowTtlMs: 0)
    first.release();
    await pool.stop();
    // The overflow checkout waits in the queue while its worker starts.
    expect(checkouts.map((message) => message.event)).toEqual([
      'checkout:granted',
      'checkout:queued',
      'checkout:granted',
      'checkout:queued',
      'checkout:timedOut',
    ]);
    expect(overflow).toEqual([{ pool: 'jobs', event: 'overflow:dismissed', workerId: second.workerId }]);
    expect(poolEvents).toEqual([{ pool: 'jobs', event: 'pool:stopped', killed: [], leasesHeld: 0 }]);
  });

  it('tells pools apart by name when several publish on one channel', async () => {
    const checkouts = listen('pooltoy:checkout');
    const { pool: a } = await newPool('a');
    const { pool: b } = await newPool('b');
    (await b.checkout()).release();
    (await a.checkout()).release();
    expect(checkouts.map((message) => message.pool)).toEqual(['b', 'a']);
  });

  it('publishes nothing once the subscriber has left', async () => {
    const { pool } = await newPool('quiet');
    const checkouts = listen('pooltoy:checkout');
    (await pool.checkout()).release();
    for (const unsubscribe of subscriptions.splice(0)) unsubscribe();
    (await pool.checkout()).release();
    expect(checkouts).toHaveLength(1);
  });
});
