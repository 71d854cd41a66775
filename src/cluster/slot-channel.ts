// The cluster limit's pub/sub, on a second connection per semaphore. It hears a slot freed anywhere ('freed' on the
// wake channel), so a waiter asks at once instead of at its next poll; and it hears the limit start recovering from
// lost data ('lost' on the held channel), so a holder re-registers at once. Listening on the held channel also makes
// this process count among the holders a PUBLISH reaches: subscriptions survive a FLUSHALL, which is how the scripts
// tell a flushed key from a new one. Redis Cluster uses sharded pub/sub (SSUBSCRIBE), which stays on the key's shard.
import type { Cluster, Redis } from 'ioredis';

type Client = Redis | Cluster;

// Redis Cluster: sharded pub/sub lives on the node serving the channel's hash slot (the limit's keys' slot), so the
// subscriber is a plain connection to that node, made from the cluster client's own connection to it. It is found
// once: after a resharding or a failover of that slot, wake-ups fall back to polling (see docs/cluster.md).
async function shardSubscriber(cluster: Cluster, channel: string): Promise<Redis | undefined> {
  const slot = Number(await cluster.cluster('KEYSLOT', channel));
  const ranges = await cluster.cluster('SLOTS');
  const primary = ranges.find(([from, to]) => slot >= from && slot <= to)?.[2];
  if (!primary) return undefined;
  const [host, port] = primary;
  const node = cluster
    .nodes('master')
    .find((each) => each.options.port === port && [host, 'localhost'].includes(String(each.options.host)));
  return node?.duplicate();
}

/** One semaphore's subscriptions: wake-ups for its waiters, presence and recovery notices for its holders. */
export class SlotChannel {
  readonly #subscriber: Promise<Client | undefined>;
  readonly #channels: { held: string; wake: string };
  readonly #isSharded: boolean;
  readonly #timeoutMs: number;
  #wantsHeld = false;
  #isHeldConfirmed = false;
  /** The attempt to listen on the held channel: one per connection, shared by every caller. */
  #listening: Promise<void> | undefined;
  #isClosed = false;

  constructor(
    source: Client,
    channels: { held: string; wake: string },
    timeoutMs: number,
    on: { freed: (message: string) => void; lost: () => void },
  ) {
    this.#channels = channels;
    this.#isSharded = source.isCluster;
    this.#timeoutMs = timeoutMs;
    const made = this.#isSharded
      ? shardSubscriber(source as Cluster, channels.wake).catch(() => undefined)
      : Promise.resolve((source as Redis).duplicate());
    this.#subscriber = made.then((subscriber) => {
      if (!subscriber) return undefined;
      if (this.#isClosed) {
        subscriber.disconnect();
        return undefined;
      }
      // Failures show in the command connection's typed errors; this one only costs latency while it is down.
      subscriber.on('error', () => {});
      subscriber.on(this.#isSharded ? 'smessage' : 'message', (channel: string, message: string) => {
        if (channel === channels.wake) on.freed(message);
        else if (channel === channels.held && message === 'lost') on.lost();
      });
      // After a reconnect nothing is certain until Redis confirms the subscription again.
      subscriber.on('close', () => {
        this.#isHeldConfirmed = false;
      });
      subscriber.on('ready', () => {
        this.#listening = undefined;
        if (this.#wantsHeld) void this.listenAsHolder();
      });
      void this.#subscribe(subscriber, channels.wake).catch(() => {});
      return subscriber;
    });
  }

  /** Does Redis count this process among the held channel's listeners (confirmed since the last reconnect)? */
  get isListeningAsHolder(): boolean {
    return this.#isHeldConfirmed;
  }

  /**
   * Listen on the held channel; resolves once Redis confirmed it, or after the timeout (then it still is not). Tried
   * once per connection: a failed attempt (no permission, say) is not repeated until the subscriber reconnects.
   */
  listenAsHolder(): Promise<void> {
    this.#wantsHeld = true;
    this.#listening ??= this.#listen();
    return this.#listening;
  }

  async #listen(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const listening = async () => {
      const subscriber = await this.#subscriber;
      if (!subscriber) return;
      await this.#subscribe(subscriber, this.#channels.held);
      if (!this.#isClosed && subscriber.status === 'ready') this.#isHeldConfirmed = true;
    };
    try {
      await Promise.race([
        listening(),
        new Promise((resolve) => {
          timer = setTimeout(resolve, this.#timeoutMs).unref();
        }),
      ]);
    } catch {
      // Not confirmed: the scripts then do not count this process as a listener, which errs on the safe side.
    } finally {
      clearTimeout(timer);
    }
  }

  /** Drop the connection. */
  close(): void {
    this.#isClosed = true;
    this.#isHeldConfirmed = false;
    void this.#subscriber.then((subscriber) => subscriber?.disconnect());
  }

  #subscribe(subscriber: Client, channel: string): Promise<unknown> {
    return this.#isSharded ? subscriber.ssubscribe(channel) : subscriber.subscribe(channel);
  }
}
