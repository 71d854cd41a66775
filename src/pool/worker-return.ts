// A worker coming back (checked in, started, validated for nobody) and a worker going away: recycling past
// maxUses/maxAgeMs/maxMemoryMb, the surplus worker's cooldown, and retirement — one replacement rule for every cause.
import type { StopCause } from './pool-events.js';
import type { PoolManager } from './pool-manager.js';
import type { PooledWorker } from './pooled-worker.js';
import { pump } from './pump.js';

/** A worker is free again (checked in, started, validated for nobody): recycle, serve, cool down or idle. */
export function returnWorker<W>(m: PoolManager<W>, worker: PooledWorker<W>): void {
  if (m.phase !== 'running') {
    retire(m, worker, 'poolStopping');
    return;
  }
  const config = m.config;
  const reason =
    worker.uses >= config.maxUses
      ? 'maxUses'
      : config.maxAgeMs !== Number.POSITIVE_INFINITY && m.clock.now() - worker.readyAt >= config.maxAgeMs
        ? 'maxAge'
        : undefined;
  if (reason !== undefined) {
    if (m.events.isListening) m.events.emit('worker:recycled', { workerId: worker.id, reason });
    retire(m, worker, 'recycled');
    return;
  }
  if (m.waiting.size === 0 && m.live > config.size) {
    // Surplus: Poolboy dismisses whichever worker is checked in while over size; a cooldown avoids the churn.
    if (config.overflowTtlMs === 0) {
      if (m.events.isListening) m.events.emit('overflow:dismissed', { workerId: worker.id });
      retire(m, worker, 'dismissed');
      return;
    }
    worker.state = 'cooling';
    worker.timer = m.clock.setTimer(config.overflowTtlMs, () => m.guard(() => cooledDown(m, worker)));
    if (m.events.isListening) {
      m.events.emit('overflow:cooling', { workerId: worker.id, ttlMs: config.overflowTtlMs });
    }
  } else {
    worker.state = 'idle';
  }
  m.idle.push(worker);
  pump(m);
  if (config.maxMemoryMb !== Number.POSITIVE_INFINITY) checkMemory(m, worker);
}

/** Memory is read between calls; a reading that arrives after the worker was taken again applies next time. */
function checkMemory<W>(m: PoolManager<W>, worker: PooledWorker<W>): void {
  const read = worker.handle!.memoryBytes;
  if (read === undefined) return;
  Promise.resolve()
    .then(() => read.call(worker.handle))
    .then(
      (bytes) =>
        m.guard(() => {
          const isIdle = worker.state === 'idle' || worker.state === 'cooling';
          if (bytes === undefined || bytes <= m.config.maxMemoryMb * 1024 * 1024 || !isIdle) return;
          if (m.events.isListening) m.events.emit('worker:recycled', { workerId: worker.id, reason: 'maxMemory' });
          retire(m, worker, 'recycled');
        }),
      () => {},
    );
}

function cooledDown<W>(m: PoolManager<W>, worker: PooledWorker<W>): void {
  worker.timer = undefined;
  if (worker.state !== 'cooling') return;
  if (m.live > m.config.size) {
    if (m.events.isListening) m.events.emit('overflow:dismissed', { workerId: worker.id });
    retire(m, worker, 'dismissed');
  } else {
    // Still needed: another worker left while m one cooled down.
    worker.state = 'idle';
    worker.isOverflow = false;
    pump(m);
  }
}

/**
 * Take a worker out of service and stop it. Whether it is replaced follows one rule for every cause: a waiter
 * no start serves, or fewer than `size` live workers, starts one (the pump decides). A recycled worker is
 * stopped only once its replacement's start settles, so capacity never dips below `size`.
 */
export function retire<W>(m: PoolManager<W>, worker: PooledWorker<W>, cause: StopCause, graceMs = 0): void {
  m.idle.remove(worker);
  worker.timer?.cancel();
  worker.timer = undefined;
  worker.state = 'stopping';
  m.live--;
  m.stopping++;
  if (m.events.isListening) m.events.emit('worker:stopping', { workerId: worker.id, cause });
  const lastStarted = m.lastStarted;
  pump(m);
  if (cause === 'recycled' && m.lastStarted !== lastStarted && m.lastStarted?.state === 'starting') {
    m.lastStarted.retiree = worker;
  } else if (graceMs > 0 && m.phase === 'running') {
    worker.timer = m.clock.setTimer(graceMs, () =>
      m.guard(() => {
        worker.timer = undefined;
        stopHandle(m, worker);
      }),
    );
  } else {
    stopHandle(m, worker);
  }
}

/** Ask the host to stop a worker the manager has not yet seen exit. */
export function stopHandle<W>(m: PoolManager<W>, worker: PooledWorker<W>): void {
  if (!worker.hasExited) m.host.stopWorker(worker.handle!);
}
