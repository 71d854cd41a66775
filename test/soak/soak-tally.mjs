// What the soak counts: calls started and settled, results, errors by type (untyped ones are failures), faults
// injected, leases taken and returned, and every failed assertion. Its summary is the soak's figure.

/** Is this an error a caller can switch on: a PoolToy `code`, the soak's own abort, or a DOM-style name? */
function typeOf(error) {
  if (typeof error?.code === 'string') return error.code;
  return undefined;
}

/** The soak's counters and its verdict. */
export class SoakTally {
  started = 0;
  settled = 0;
  results = 0;
  leasesTaken = 0;
  leasesReturned = 0;
  /** Leases the pools still count as checked out once the load has stopped and every call settled. */
  leasesLeft = 0;
  errors = new Map();
  /** Per pool: calls, results and errors by code. */
  byPool = new Map();
  faults = new Map();
  failures = [];

  /** Count `promise` as a call (on `pool`); resolves with `{ ok, value }` or `{ ok: false, error }`, never rejects. */
  track(promise, pool) {
    this.started++;
    const counts = this.#poolCounts(pool);
    counts.calls++;
    return promise.then(
      (value) => {
        this.settled++;
        this.results++;
        counts.results++;
        return { ok: true, value };
      },
      (error) => {
        this.settled++;
        this.#countError(error, counts);
        return { ok: false, error };
      },
    );
  }

  /** An error thrown synchronously by an operation (counted as a call of its own). */
  settledError(error, pool) {
    this.started++;
    this.settled++;
    const counts = this.#poolCounts(pool);
    counts.calls++;
    this.#countError(error, counts);
  }

  #poolCounts(pool = 'other') {
    let counts = this.byPool.get(pool);
    if (counts === undefined) {
      counts = { calls: 0, results: 0, errors: new Map() };
      this.byPool.set(pool, counts);
    }
    return counts;
  }

  leaseTaken() {
    this.leasesTaken++;
  }

  leaseReturned() {
    this.leasesReturned++;
  }

  fault(kind) {
    this.faults.set(kind, (this.faults.get(kind) ?? 0) + 1);
  }

  fail(message) {
    this.failures.push(message);
  }

  get hasFailed() {
    return this.failures.length > 0;
  }

  #countError(error, counts) {
    const type = typeOf(error);
    if (type === undefined) this.fail(`untyped error: ${error?.stack ?? String(error)}`);
    const key = type ?? `untyped ${error?.name ?? typeof error}`;
    this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
    counts.errors.set(key, (counts.errors.get(key) ?? 0) + 1);
  }

  progressLine() {
    const faults = [...this.faults.values()].reduce((sum, count) => sum + count, 0);
    return `  … ${this.settled}/${this.started} calls settled, ${this.results} results, ${faults} faults`;
  }

  summary({ seconds, clients, seed, heapBaseline, heapAfter, orphans }) {
    const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
    const sorted = (map) => [...map].sort((a, b) => b[1] - a[1]).map(([key, count]) => `    ${key}: ${count}`);
    const totalFaults = [...this.faults.values()].reduce((sum, count) => sum + count, 0);
    const errorCount = [...this.errors.values()].reduce((sum, count) => sum + count, 0);
    return [
      `soak: ${seconds}s, ${clients} clients, seed ${seed}`,
      `  calls: ${this.started} started, ${this.settled} settled (hung: ${this.started - this.settled}), ` +
        `${Math.round(this.settled / seconds)}/s`,
      `  results: ${this.results}; typed errors: ${errorCount}`,
      ...sorted(this.errors),
      '  per pool: calls that succeeded, errors by code',
      ...[...this.byPool].map(
        ([pool, counts]) =>
          `    ${pool}: ${counts.results} of ${counts.calls} (${((100 * counts.results) / (counts.calls || 1)).toFixed(1)}%)` +
          [...counts.errors]
            .sort((a, b) => b[1] - a[1])
            .map(([code, count]) => `; ${code} ${count}`)
            .join(''),
      ),
      `  faults injected: ${totalFaults}`,
      ...sorted(this.faults),
      `  leases: ${this.leasesTaken} taken, ${this.leasesReturned} returned; leaks: ${this.leasesLeft}`,
      `  OS processes left after stop(): ${orphans.length}`,
      `  heap after forced GC: ${mb(heapBaseline)} before the tree, ${mb(heapAfter)} after stop()`,
      this.hasFailed
        ? `FAILED:\n${this.failures.map((failure) => `  - ${failure}`).join('\n')}`
        : 'ok: all assertions held',
    ].join('\n');
  }
}
