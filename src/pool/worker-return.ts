// A worker coming back (checked in, started, validated for nobody) and a worker going away: recycling past
// maxUses/maxAgeMs/maxMemoryMb, the surplus worker's cooldown, and retirement — one replacement rule for every cause.
import type { StopCause } from './pool-events.js';
import type { PoolState } from './pool-state.js';
import type { PooledWorker } from './pooled-worker.js';
import { maybeHandToOldestWaiter, pump } from './pump.js';

/** A worker is free again (checked in, started, validated for nobody): recycle, serve, cool down or idle. */
export function returnWorker<W>(s: PoolState<W>, worker: PooledWorker<W>): void {
  if (s.phase !== 'running') {
    retire(s, worker, 'poolStopping');
    return;
  }
  const config = s.config;
  const reason =
    worker.uses >= config.maxUses
      ? 'maxUses'
      : config.maxAgeMs !== Number.POSITIVE_INFINITY && s.clock.now() - worker.readyAt >= config.maxAgeMs
        ? 'maxAge'
        : undefined;
  if (reason !== undefined) {
    if (s.events.wants('worker:recycled')) s.events.emit('worker:recycled', { workerId: worker.id, reason });
    retire(s, worker, 'recycled');
    return;
  }
  // No longer surplus once the pool is back within size: the tag says "started beyond size and still beyond it".
  if (worker.isOverflow && s.live <= config.size) worker.isOverflow = false;
  if (!maybeHandToOldestWaiter(s, worker)) {
    if (s.waiting.size === 0 && s.live > config.size) {
      // Surplus: Poolboy dismisses whichever worker is checked in while over size; a cooldown avoids the churn.
      if (config.overflowTtlMs === 0) {
        if (s.events.wants('overflow:dismissed')) s.events.emit('overflow:dismissed', { workerId: worker.id });
        retire(s, worker, 'dismissed');
        return;
      }
      worker.state = 'cooling';
      worker.timer = s.clock.setTimer(config.overflowTtlMs, () => s.guard(() => cooledDown(s, worker)));
      if (s.events.wants('overflow:cooling')) {
        s.events.emit('overflow:cooling', { workerId: worker.id, ttlMs: config.overflowTtlMs });
      }
    } else {
      worker.state = 'idle';
    }
    s.idle.push(worker);
    pump(s);
  }
  if (config.maxMemoryMb !== Number.POSITIVE_INFINITY) checkMemory(s, worker);
}

/** Memory is read between calls; a reading that arrives after the worker was taken again applies next time. */
function checkMemory<W>(s: PoolState<W>, worker: PooledWorker<W>): void {
  const read = worker.handle!.memoryBytes;
  if (read === undefined) return;
  Promise.resolve()
    .then(() => read.call(worker.handle))
    .then(
      (bytes) =>
        s.guard(() => {
          const isIdle = worker.state === 'idle' || worker.state === 'cooling';
          if (bytes === undefined || bytes <= s.config.maxMemoryMb * 1024 * 1024 || !isIdle) return;
          if (s.events.wants('worker:recycled'))
            s.events.emit('worker:recycled', { workerId: worker.id, reason: 'maxMemory' });
          retire(s, worker, 'recycled');
        }),
      () => {},
    );
}

function cooledDown<W>(s: PoolState<W>, worker: PooledWorker<W>): void {
  worker.timer = undefined;
  if (worker.state !== 'cooling') return;
  if (s.live > s.config.size) {
    if (s.events.wants('overflow:dismissed')) s.events.emit('overflow:dismissed', { workerId: worker.id });
    retire(s, worker, 'dismissed');
  } else {
    // Still needed: another worker left while this one cooled down.
    worker.state = 'idle';
    worker.isOverflow = false;
    pump(s);
  }
}

/**
 * Take a worker out of service and stop it. Whether it is replaced follows one rule for every cause: a waiter
 * no start serves, or fewer than `size` live workers, starts one (the pump decides). A recycled worker is
 * stopped only once its replacement's start settles, so capacity never dips below `size`.
 */
export function retire<W>(s: PoolState<W>, worker: PooledWorker<W>, cause: StopCause, graceMs = 0): void {
  s.idle.remove(worker);
  worker.timer?.cancel();
  worker.timer = undefined;
  worker.state = 'stopping';
  s.live--;
  s.stopping++;
  if (s.events.wants('worker:stopping')) s.events.emit('worker:stopping', { workerId: worker.id, cause });
  const lastStarted = s.lastStarted;
  pump(s);
  if (cause === 'recycled' && s.lastStarted !== lastStarted && s.lastStarted?.state === 'starting') {
    s.lastStarted.retiree = worker;
  } else if (graceMs > 0 && s.phase === 'running') {
    worker.timer = s.clock.setTimer(graceMs, () =>
      s.guard(() => {
        worker.timer = undefined;
        stopHandle(s, worker);
      }),
    );
  } else {
    stopHandle(s, worker);
  }
}

/** Ask the host to stop a worker the manager has not yet seen exit. */
export function stopHandle<W>(s: PoolState<W>, worker: PooledWorker<W>): void {
  if (!worker.hasExited) s.host.stopWorker(worker.handle!);
}
