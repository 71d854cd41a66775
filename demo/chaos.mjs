// `--chaos`: kill a random worker now and then, as a crash would, and — on a real database — end one of the demo's
// own backends (only its application_name), as a failover would, to watch the pools replace what they lost.

/** Every `everyMs`: kills one random live worker, or on every other turn ends one of the demo's database backends. */
export class Chaos {
  /** Workers killed so far. */
  kills = 0;
  /** Database backends terminated so far. */
  terminations = 0;
  #toy;
  #everyMs;
  #database;
  #admin;
  #timer;
  #turn = 0;
  #terminating = Promise.resolve();

  /** `database` is demoDatabase()'s answer; on simulated connections only workers are killed. */
  constructor(toy, { everyMs = 2500, database } = {}) {
    this.#toy = toy;
    this.#everyMs = everyMs;
    this.#database = database;
  }

  async start() {
    this.#admin = await this.#database?.openAdmin?.();
    this.#timer = setInterval(() => {
      this.#turn++;
      if (this.#admin && this.#turn % 2 === 1) this.#terminateBackend();
      else this.#killOne();
    }, this.#everyMs);
    return this;
  }

  async stop() {
    clearInterval(this.#timer);
    await this.#terminating;
    await this.#admin?.end();
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

  #terminateBackend() {
    this.#terminating = this.#admin.terminateOne().then(
      (pid) => {
        if (pid === undefined) return;
        this.terminations++;
        console.log(`chaos: terminated database backend ${pid} (pool db replaces its connection)`);
      },
      (error) => console.log(`chaos: could not terminate a backend: ${error.message}`),
    );
  }
}
