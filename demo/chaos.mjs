// `--chaos`: kill a random worker now and then, as a crash would, to watch the pool replace it.

/** Kills one random live worker every `everyMs`, and says which. */
export class Chaos {
  /** Workers killed so far. */
  kills = 0;
  #toy;
  #everyMs;
  #timer;

  constructor(toy, everyMs = 2500) {
    this.#toy = toy;
    this.#everyMs = everyMs;
  }

  start() {
    this.#timer = setInterval(() => this.#killOne(), this.#everyMs);
    return this;
  }

  stop() {
    clearInterval(this.#timer);
  }

  #killOne() {
    const candidates = this.#toy
      .snapshot()
      .pools.flatMap((pool) =>
        pool.workers
          .filter((worker) => worker.state === 'idle' || worker.state === 'busy')
          .map((worker) => ({ pool: pool.name, worker })),
      );
    if (candidates.length === 0) return;
    const { pool, worker } = candidates[Math.floor(Math.random() * candidates.length)];
    if (this.#toy.killWorker(pool, worker.id)) {
      this.kills++;
      console.log(`chaos: killed ${worker.id} (${worker.state}) in pool ${pool}`);
    }
  }
}
