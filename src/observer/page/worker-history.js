// What the page remembers of each worker while it is open: its states with their times (from the events, and from
// any snapshot that shows a state the events did not), how it exited, its memory over time and its CPU rate.
// Bounded: a worker keeps its last entries, and the page forgets workers gone for a while.

/** Entries kept per worker. */
const maxEntries = 60;
/** Workers remembered, newest kept. */
const maxWorkers = 300;

/** The state an event puts its worker in, and why (shown beside it). */
const stateOfEvent = {
  'worker:starting': () => 'starting',
  'worker:started': () => 'idle',
  'checkout:granted': () => 'busy',
  'checkin:done': () => 'idle',
  'overflow:cooling': () => 'cooling',
  'worker:stopping': () => 'stopping',
  'worker:exited': () => 'exited',
};

/**
 * @typedef {{ time: number, state: string, note?: string }} Transition
 * @typedef {{ time: number, memoryBytes?: number, cpuPercent?: number }} UsagePoint
 * @typedef {{ pool: string, states: Transition[], usage: UsagePoint[], exit?: { time: number, kind?: string, detail?: string },
 *   lastCpu?: { time: number, cpuMs: number }, cpuPercent?: number, lastSeen: number }} WorkerRecord
 */

export class WorkerHistory {
  /** @type {Map<string, WorkerRecord>} */
  #workers = new Map();
  /** The latest exit of each pool. @type {Map<string, { workerId: string, time: number, kind?: string, detail?: string }>} */
  #lastExits = new Map();

  /** @param {string} workerId */
  get(workerId) {
    return this.#workers.get(workerId);
  }

  /** @param {string} pool */
  lastExit(pool) {
    return this.#lastExits.get(pool);
  }

  /** @param {any[]} events ToyEvents, oldest first */
  noteEvents(events) {
    for (const event of events) {
      if (!event.workerId) continue;
      const state = stateOfEvent[event.type]?.();
      if (state === undefined) continue;
      const record = this.#record(event.workerId, event.pool, event.time);
      this.#push(record, { time: event.time, state, ...(event.detail && { note: event.detail }) });
      if (event.type === 'worker:exited') {
        record.exit = { time: event.time, kind: event.exitKind, detail: event.detail };
        this.#lastExits.set(event.pool, { workerId: event.workerId, ...record.exit });
      }
    }
  }

  /** @param {any} snapshot a ToySnapshot */
  noteSnapshot(snapshot) {
    for (const pool of snapshot.pools) {
      for (const worker of pool.workers) {
        const record = this.#record(worker.id, pool.name, snapshot.time);
        if (record.states.at(-1)?.state !== worker.state)
          this.#push(record, { time: snapshot.time, state: worker.state, note: 'seen in a snapshot' });
        if (typeof worker.cpuMs === 'number' && record.lastCpu?.cpuMs !== worker.cpuMs) {
          // A rate between two readings that differ: readings come every ~2 s, snapshots more often.
          if (record.lastCpu && snapshot.time > record.lastCpu.time) {
            const percent = (100 * (worker.cpuMs - record.lastCpu.cpuMs)) / (snapshot.time - record.lastCpu.time);
            record.cpuPercent = Math.max(0, percent);
          }
          record.lastCpu = { time: snapshot.time, cpuMs: worker.cpuMs };
        }
        const last = record.usage.at(-1);
        if (typeof worker.memoryBytes === 'number' && last?.memoryBytes !== worker.memoryBytes) {
          record.usage.push({ time: snapshot.time, memoryBytes: worker.memoryBytes, cpuPercent: record.cpuPercent });
          if (record.usage.length > maxEntries) record.usage.shift();
        }
      }
    }
    if (this.#workers.size > maxWorkers) {
      const oldest = [...this.#workers].sort(([, a], [, b]) => a.lastSeen - b.lastSeen);
      for (const [id] of oldest.slice(0, this.#workers.size - maxWorkers)) this.#workers.delete(id);
    }
  }

  /**
   * A pool's memory (sum of its workers' last readings) and CPU (sum of their last rates, % of one core).
   * @param {any} pool a PoolSnapshot
   */
  poolUsage(pool) {
    let memoryBytes;
    let cpuPercent;
    for (const worker of pool.workers) {
      if (typeof worker.memoryBytes === 'number') memoryBytes = (memoryBytes ?? 0) + worker.memoryBytes;
      const rate = this.#workers.get(worker.id)?.cpuPercent;
      if (typeof rate === 'number') cpuPercent = (cpuPercent ?? 0) + rate;
    }
    return { memoryBytes, cpuPercent };
  }

  /** @param {string} workerId */
  cpuPercent(workerId) {
    return this.#workers.get(workerId)?.cpuPercent;
  }

  /**
   * @param {string} workerId
   * @param {string} pool
   * @param {number} time
   */
  #record(workerId, pool, time) {
    let record = this.#workers.get(workerId);
    if (!record) {
      record = { pool, states: [], usage: [], lastSeen: time };
      this.#workers.set(workerId, record);
    }
    record.lastSeen = Math.max(record.lastSeen, time);
    return record;
  }

  /**
   * @param {WorkerRecord} record
   * @param {Transition} transition
   */
  #push(record, transition) {
    if (record.exit && transition.state !== 'exited') return; // a late snapshot of a worker already gone
    record.states.push(transition);
    if (record.states.length > maxEntries) record.states.shift();
  }
}
