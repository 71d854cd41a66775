// The demo's clients: a steady trickle of work on every pool, and now and then a burst bigger than the pool, so
// the observer shows queueing, overflow workers starting, and their cooldown once the burst has passed.

import { demoQuery } from './demo-database.mjs';

const between = (low, high) => Math.floor(low + Math.random() * (high - low));

/** What each pool's clients ask for: one call (a run, or a transaction) per request. */
const requestByPool = {
  primes: (pool) =>
    pool.run({ from: between(1_000_000, 5_000_000), count: between(20_000, 60_000) }, { checkoutTimeoutMs: 3000 }),
  hashing: (pool) =>
    pool.run(
      { password: `secret-${between(0, 1e6)}`, iterations: between(20_000, 60_000) },
      { checkoutTimeoutMs: 3000 },
    ),
  db: (pool) => pool.transaction((connection) => connection.query(demoQuery), { checkoutTimeoutMs: 2000 }),
};

/** Drives load on the demo's pools until stopped; counts what was served and what failed, by error code. */
export class LoadGenerator {
  /** Requests answered. */
  served = 0;
  /** Requests that failed, by error code (timeouts, queue full, workers killed by chaos…). */
  failed = new Map();
  #toy;
  #timers = new Set();
  #inFlight = new Set();
  #isRunning = false;

  constructor(toy) {
    this.#toy = toy;
  }

  /** Begin: a request every 200–400 ms per pool, and a burst of 8–18 at once every 4–8 s per pool. */
  start() {
    this.#isRunning = true;
    for (const poolName of Object.keys(requestByPool)) {
      this.#every(
        () => between(200, 400),
        () => this.#send(poolName, 1),
      );
      this.#every(
        () => between(4000, 8000),
        () => this.#send(poolName, between(8, 18)),
      );
    }
    return this;
  }

  /** Send no more requests; resolves once those in flight have settled (the pools' stop ends them). */
  async stop() {
    this.#isRunning = false;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await Promise.allSettled(this.#inFlight);
  }

  #every(nextMs, action, firstMs = nextMs()) {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#isRunning) return;
      action();
      this.#every(nextMs, action);
    }, firstMs);
    this.#timers.add(timer);
  }

  #send(poolName, count) {
    let pool;
    try {
      pool = this.#toy.pool(poolName);
    } catch {
      return; // stopped from the observer's page: its clients wait until it is started again
    }
    for (let i = 0; i < count; i++) {
      const request = requestByPool[poolName](pool).then(
        () => this.served++,
        (error) => this.failed.set(error?.code ?? error?.name, (this.failed.get(error?.code ?? error?.name) ?? 0) + 1),
      );
      this.#inFlight.add(request);
      request.finally(() => this.#inFlight.delete(request));
    }
  }
}
