// The demo's resource pool: fake database connections that take a while to open and answer with latency, so the
// observer shows a resource worker's lifecycle without a real database.

const delay = (ms, signal) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

const between = (low, high) => low + Math.random() * (high - low);

/** One pretend connection: `query` resolves after a network-like delay. */
export class FakeConnection {
  #isClosed = false;
  #queries = 0;

  /** Open a connection (100–300 ms, as a TCP and auth handshake would); gives up when the pool aborts the start. */
  static async open(signal) {
    await delay(between(100, 300), signal);
    return new FakeConnection();
  }

  /** Answer `sql` after 10–120 ms with a few made-up rows. */
  async query(sql) {
    if (this.#isClosed) throw new Error('connection is closed');
    this.#queries++;
    await delay(between(10, 120));
    return { sql, rows: Math.floor(between(0, 50)), queriesOnThisConnection: this.#queries };
  }

  /** Close it; a closed connection refuses queries. */
  close() {
    this.#isClosed = true;
  }
}
