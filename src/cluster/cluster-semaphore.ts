// Over ~250 lines: the take loop, hand-over, heartbeat and loss handling share one held-slot map and must change together.
// Slots of a limit shared by every process that uses the same Redis key: taken in FIFO order across processes,
// handed over on release through pub/sub, kept alive by a heartbeat, lost (and said so) when they cannot be renewed
// in time, re-registered when Redis lost its data while they were held (see semaphore-scripts.ts).
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import type { Timer } from '../clock.js';
import {
  ClusterLimitClosedError,
  ClusterLimitUnavailableError,
  ClusterSlotLostError,
  ClusterSlotTimeoutError,
  InvalidArgumentError,
} from '../errors.js';
import type { ClusterLimitSnapshot } from '../observer/snapshot.js';
import {
  type ClusterLimitConfig,
  type ClusterLimitOptions,
  parseClusterLimitOptions,
} from './cluster-limit-options.js';
import { RedisScriptRunner } from './redis-script-runner.js';
import { semaphoreChannels, semaphoreScripts } from './semaphore-scripts.js';
import { SlotChannel } from './slot-channel.js';
import { SlotWaiter } from './slot-waiter.js';

/** Options of one `take`. */
export interface TakeSlotOptions {
  /** Give up after this many ms (`Infinity` waits forever; `0` asks once). @default 5000 */
  readonly timeoutMs?: number;
  /** Aborting it gives up the wait; `take` rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** A slot of the cluster limit, held by this process until `free()` or until it is lost. */
export interface ClusterSlot {
  /** The holder's id in Redis: `host:pid:instance:serial`. */
  readonly token: string;
  /**
   * The fencing token: a number from Redis, larger than that of every slot of this limit granted before. Send it with
   * every write to the guarded resource and have the resource refuse a write whose number is lower than the highest
   * it has seen: a holder that lost its slot (paused past its TTL) can then no longer write.
   */
  readonly fence: number;
  /** Aborts with `ClusterSlotLostError` when the slot could not be renewed in time: stop using what it guards. */
  readonly signal: AbortSignal;
  /** Give the slot back at once; resolves when Redis confirmed (or could not be told: then the slot expires). */
  free(): Promise<void>;
}

/** The cluster limit as this process sees it; the cluster-wide counts are as of the last round trip to Redis. */
export type ClusterLimitStatus = ClusterLimitSnapshot;

interface HeldSlot {
  readonly controller: AbortController;
  readonly fence: number;
  lossTimer?: Timer;
  /** When this process stops counting the slot as its own, unless renewed (clock time). */
  keepUntil: number;
}

/**
 * A counting semaphore in Redis with FIFO fairness across processes. Emits `waiter:queued`, `slot:taken`,
 * `slot:freed` (each with the token), `slots:renewed` (how many), `slot:lost` (the error), `redis:failed` (the
 * error) and `redis:recovered`.
 */
export class ClusterSemaphore extends EventEmitter {
  /** The validated options. */
  readonly config: ClusterLimitConfig;
  readonly #runner: RedisScriptRunner;
  // Unique per semaphore, not just per process: two limits on the same key in one process must not share tokens.
  readonly #tokenPrefix = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}:`;
  #serial = 0;
  readonly #held = new Map<string, HeldSlot>();
  readonly #waiters = new Set<SlotWaiter>();
  #heldInCluster = 0;
  #waitingInCluster = 0;
  #isClosed = false;
  #heartbeat: Timer | undefined;
  #earlyRenewal: Timer | undefined;
  #channel: SlotChannel | undefined;
  /** Has this process met the key's record in Redis? Then a missing record means lost data, not a new key. */
  #hasSeen = false;
  /** The highest fencing token this process has seen: tokens stay above it even when Redis lost its counter. */
  #fenceFloor = 0;
  #recoverMs = 0;

  constructor(options: ClusterLimitOptions) {
    super();
    this.config = parseClusterLimitOptions(options);
    this.#runner = new RedisScriptRunner(this.config, (change) => {
      if (change.kind === 'failed') this.emit('redis:failed', change.error);
      else this.emit('redis:recovered');
    });
  }

  /**
   * Take a slot, waiting in the cluster-wide line until one is free, the timeout passes or the signal aborts. The
   * timeout counts from the call; when Redis has not answered by then, `take` rejects with
   * `ClusterLimitUnavailableError` rather than a timeout.
   */
  async take(options: TakeSlotOptions = {}): Promise<ClusterSlot> {
    const { clock, key, limit, waiterTtlMs, pollMaxMs } = this.config;
    const timeoutMs = options.timeoutMs ?? 5000;
    if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs) || timeoutMs < 0) {
      throw new InvalidArgumentError('timeoutMs', 'a number >= 0 or Infinity', timeoutMs);
    }
    options.signal?.throwIfAborted();
    if (this.#isClosed) throw new ClusterLimitClosedError(key);
    const channel = this.#openChannel();
    const waiter = new SlotWaiter(`${this.#tokenPrefix}${++this.#serial}`, clock, options.signal);
    this.#waiters.add(waiter);
    let hasAnswered = false;
    if (timeoutMs > 0) {
      waiter.startDeadline(timeoutMs, () =>
        hasAnswered
          ? new ClusterSlotTimeoutError(key, timeoutMs, this.#heldInCluster, limit, this.#recoverMs)
          : new ClusterLimitUnavailableError(key, `Redis did not answer within the ${timeoutMs}ms of the checkout`),
      );
    }
    try {
      for (let attempt = 0; ; attempt++) {
        waiter.asking();
        const sentAt = clock.now();
        const [held = 0, waiting = 0, recoverMs = 0, granted, fence = 0] = await waiter.race(
          this.#run('take', [waiter.token, limit, waiterTtlMs]),
        );
        hasAnswered = true;
        if (granted === 1 && (await this.#isStillHeld(channel, waiter, fence))) {
          // More slots free and more waiters: the next waiter of this process may be one they are for.
          if (held < limit && waiting > 0) this.#wakeOldest();
          return this.#hold(waiter.token, fence, sentAt);
        }
        if (attempt === 0) {
          if (timeoutMs === 0) throw new ClusterSlotTimeoutError(key, 0, held, limit, recoverMs);
          this.emit('waiter:queued', waiter.token);
        }
        if (waiter.handedFence === undefined) {
          // Pub/sub wakes the waiter when a slot is freed anywhere; the pause is the fallback for a lost message.
          // Backoff with jitter keeps waiters of many processes from asking in lockstep; order is kept by the
          // tickets in Redis, not by who asks first, so a slow poller loses latency, never its place.
          const backoffMs = Math.min(pollMaxMs, 5 * 2 ** attempt);
          await waiter.pause(
            recoverMs > 0 ? Math.min(recoverMs, pollMaxMs) : backoffMs / 2 + (Math.random() * backoffMs) / 2,
          );
        }
        const handedFence = waiter.handedFence;
        if (handedFence !== undefined && (await this.#isStillHeld(channel, waiter, handedFence))) {
          // Redis moved this waiter from the line to the holders after answering its last ask, and made the slot
          // last waiterTtlMs from then: count from that ask, and renew at once for a whole lease.
          const slot = this.#hold(waiter.token, handedFence, waiter.lastAskSentAt, this.config.waiterTtlMs);
          this.#renewSoon();
          return slot;
        }
        waiter.handedFence = undefined;
      }
    } catch (error) {
      // Leave the line — or free a slot granted by a reply that arrived after we gave up.
      this.#forget(waiter.token);
      throw error;
    } finally {
      waiter.dispose();
      this.#waiters.delete(waiter);
    }
  }

  // The first slot this process holds makes it listen on the held channel, so that a FLUSHALL from now on finds it
  // through PUBLISH. Between the grant and the confirmed subscription the data may have been lost unseen: one renewal
  // after the confirmation tells.
  async #isStillHeld(channel: SlotChannel, waiter: SlotWaiter, fence: number): Promise<boolean> {
    if (channel.isListeningAsHolder) return true;
    await waiter.race(channel.listenAsHolder());
    // It could not listen (no permission, Redis slow): then it is not counted as a listener, nothing to verify.
    if (!channel.isListeningAsHolder) return true;
    const [, , , isHeld] = await waiter.race(this.#run('renew', [waiter.token, fence]));
    return isHeld === 1;
  }

  #openChannel(): SlotChannel {
    this.#channel ??= new SlotChannel(
      this.config.redis,
      semaphoreChannels(this.config.key),
      this.config.redisTimeoutMs,
      {
        freed: (message) => this.#onWake(message),
        lost: () => void this.#renew(),
      },
    );
    return this.#channel;
  }

  // A message on the wake channel: 'freed' (a slot expired: the oldest waiter asks) or `granted <token> <fence>`.
  #onWake(message: string): void {
    if (!message.startsWith('granted ')) {
      this.#wakeOldest();
      return;
    }
    const [, token, fence] = message.split(' ');
    for (const waiter of this.#waiters) if (waiter.token === token) waiter.handOver(Number(fence));
  }

  #wakeOldest(): void {
    const [oldest] = this.#waiters;
    oldest?.wake();
  }

  /** What this process knows now, without a round trip. */
  status(): ClusterLimitStatus {
    return {
      key: this.config.key,
      limit: this.config.limit,
      heldHere: this.#held.size,
      waitingHere: this.#waiters.size,
      heldInCluster: this.#heldInCluster,
      waitingInCluster: this.#waitingInCluster,
      isRedisReachable: this.#runner.isReachable,
    };
  }

  /** Ask Redis for the live cluster-wide counts; rejects with `ClusterLimitUnavailableError` when it cannot. */
  async refresh(): Promise<ClusterLimitStatus> {
    await this.#run('count', []);
    return this.status();
  }

  /** Stop: waiters reject with `ClusterLimitClosedError`, held slots are freed and their signals aborted. */
  async close(): Promise<void> {
    this.#isClosed = true;
    this.#heartbeat?.cancel();
    this.#heartbeat = undefined;
    this.#earlyRenewal?.cancel();
    for (const waiter of this.#waiters) waiter.giveUp(new ClusterLimitClosedError(this.config.key));
    const freeing = [...this.#held.entries()].map(([token, held]) => {
      held.controller.abort(new ClusterLimitClosedError(this.config.key));
      return this.#free(token);
    });
    await Promise.all(freeing);
    this.#channel?.close();
  }

  #hold(token: string, fence: number, sentAt: number, ttlMs = this.config.leaseTtlMs): ClusterSlot {
    const held: HeldSlot = { controller: new AbortController(), fence, keepUntil: 0 };
    this.#held.set(token, held);
    this.#keepUntil(token, held, sentAt, ttlMs);
    this.#maybeStartHeartbeat();
    this.emit('slot:taken', token);
    let isFreed = false;
    return {
      token,
      fence,
      signal: held.controller.signal,
      free: () => {
        if (isFreed) return Promise.resolve();
        isFreed = true;
        return this.#free(token);
      },
    };
  }

  // Redis set the slot's expiry when it ran the command, which was after `sentAt`: counting from `sentAt` errs on
  // the side of giving the slot up too early, never too late.
  #keepUntil(token: string, held: HeldSlot, sentAt: number, ttlMs = this.config.leaseTtlMs): void {
    const { clock, key } = this.config;
    // Give the slot up a sixth of its TTL before Redis would expire it: the holder's work must stop before another
    // process can be granted the slot, and stopping takes a moment.
    const keepMs = ttlMs - Math.floor(ttlMs / 6);
    held.lossTimer?.cancel();
    held.keepUntil = sentAt + keepMs;
    held.lossTimer = clock.setTimer(
      held.keepUntil - clock.now(),
      () => this.#lose(token, new ClusterSlotLostError(key, `it could not be renewed within ${keepMs}ms`)),
      { unref: true },
    );
  }

  #lose(token: string, error: ClusterSlotLostError): void {
    const held = this.#held.get(token);
    if (!held) return;
    this.#held.delete(token);
    held.lossTimer?.cancel();
    held.controller.abort(error);
    this.emit('slot:lost', error);
    this.#forget(token);
  }

  async #free(token: string): Promise<void> {
    const held = this.#held.get(token);
    this.#held.delete(token);
    held?.lossTimer?.cancel();
    // The forget hands the slot to the oldest waiter of the cluster and tells it over pub/sub: no waiter here needs
    // waking (while the limit recovers, waiters poll).
    try {
      await this.#run('forget', [token, this.config.limit, this.config.waiterTtlMs]);
    } catch {
      // Redis is unreachable: the slot expires there on its own within leaseTtlMs.
    }
    this.emit('slot:freed', token);
  }

  #forget(token: string): void {
    this.#run('forget', [token, this.config.limit, this.config.waiterTtlMs]).catch(() => {
      // Best effort: an unreachable Redis drops the waiter or the slot by its TTL.
    });
  }

  // A slot handed over lasts only waiterTtlMs until renewed: renew within a quarter of that, once for all slots
  // handed over meanwhile (a busy limit hands over hundreds a second).
  #renewSoon(): void {
    if (this.#earlyRenewal) return;
    this.#earlyRenewal = this.config.clock.setTimer(
      Math.floor(this.config.waiterTtlMs / 4),
      () => {
        this.#earlyRenewal = undefined;
        void this.#renew();
      },
      { unref: true },
    );
  }

  #maybeStartHeartbeat(): void {
    if (this.#heartbeat || this.#held.size === 0 || this.#isClosed) return;
    this.#heartbeat = this.config.clock.setTimer(
      this.config.heartbeatMs,
      () => {
        void this.#renew().finally(() => {
          this.#heartbeat = undefined;
          this.#maybeStartHeartbeat();
        });
      },
      { unref: true },
    );
  }

  async #renew(): Promise<void> {
    const sentAt = this.config.clock.now();
    // A slot past its keep time (the process was paused) is not renewed: its loss timer is about to fire.
    const tokens = [...this.#held].filter(([, held]) => held.keepUntil > sentAt).map(([token]) => token);
    if (tokens.length === 0) return;
    let reply: number[];
    try {
      reply = await this.#run(
        'renew',
        tokens.flatMap((token) => [token, this.#held.get(token)!.fence]),
      );
    } catch {
      return; // The loss timers decide when the slots count as lost.
    }
    tokens.forEach((token, index) => {
      const held = this.#held.get(token);
      if (!held) return;
      if (reply[3 + index] === 1) this.#keepUntil(token, held, sentAt);
      else
        this.#lose(token, new ClusterSlotLostError(this.config.key, 'Redis no longer lists it (restarted or expired)'));
    });
    this.emit('slots:renewed', tokens.length);
  }

  #run(name: keyof typeof semaphoreScripts, args: (string | number)[]): Promise<number[]> {
    const { leaseTtlMs, redis, key } = this.config;
    const { held, wake } = semaphoreChannels(key);
    const header = [
      leaseTtlMs,
      this.#channel?.isListeningAsHolder ? 1 : 0,
      this.#hasSeen ? 1 : 0,
      redis.isCluster ? 'SPUBLISH' : 'PUBLISH',
      this.#fenceFloor,
      held,
      wake,
    ];
    return this.#runner.run(semaphoreScripts[name], [...header, ...args]).then((reply) => {
      this.#hasSeen = true;
      this.#heldInCluster = reply[0] ?? 0;
      this.#waitingInCluster = reply[1] ?? 0;
      this.#recoverMs = reply[2] ?? 0;
      if (name === 'take' && reply[4]! > this.#fenceFloor) this.#fenceFloor = reply[4]!;
      return reply;
    });
  }
}
