// The cluster limit's pub/sub, on a second connection per semaphore. It hears a slot freed anywhere ('freed' on the
// wake channel), so a waiter asks at once instead of at its next poll; and it hears the limit start recovering from
// lost data ('lost' on the held channel), so a holder re-registers at once. Listening on the held channel also makes
// this process count among the holders a PUBLISH reaches: subscriptions survive a FLUSHALL, which is how the scripts
// tell a flushed key from a new one. Redis Cluster uses sharded pub/sub (SSUBSCRIBE), which stays on the key's shard.
import type { Cluster, Redis } from 'ioredis';

type Client = Redis | Cluster;

/** One semaphore's subscriptions: wake-ups for its waiters, presence and recovery notices for its holders. */
export class SlotChannel {
  readonly #subscriber: Client;
  readonly #channels: { held: string; wake: string };
  readonly #isSharded: boolean;
  readonly #timeoutMs: number;
  #wantsHeld = false;
  #isHeldConfirmed = false;
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
    this.#subscriber = source.duplicate();
    // Failures show in the command connection's typed errors; this one only costs latency while it is down.
    this.#subscriber.on('error', () => {});
    const onMessage = (channel: string, message: string) => {
      if (channel === channels.wake) on.freed(message);
      else if (channel === channels.held && message === 'lost') on.lost();
    };
    this.#subscriber.on(this.#isSharded ? 'smessage' : 'message', onMessage);
    // After a reconnect nothing is certain until Redis confirms the subscription again.
    this.#subscriber.on('close', () => {
      this.#isHeldConfirmed = false;
    });
    this.#subscriber.on('ready', () => {
      if (this.#wantsHeld) void this.listenAsHolder();
    });
    void this.#subscribe(channels.wake).catch(() => {});
  }

  /** Does Redis count this process among the held channel's listeners (confirmed since the last reconnect)? */
  get isListeningAsHolder(): boolean {
    return this.#isHeldConfirmed;
  }

  /** Listen on the held channel; resolves once Redis confirmed it, or after the timeout (then it still is not). */
  async listenAsHolder(): Promise<void> {
    this.#wantsHeld = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.#subscribe(this.#channels.held).then(() => {
          if (!this.#isClosed && this.#subscriber.status === 'ready') this.#isHeldConfirmed = true;
        }),
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
    this.#subscriber.disconnect();
  }

  #subscribe(channel: string): Promise<unknown> {
    return this.#isSharded ? this.#subscriber.ssubscribe(channel) : this.#subscriber.subscribe(channel);
  }
}
