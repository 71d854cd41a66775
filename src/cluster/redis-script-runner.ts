// Runs the semaphore's scripts against Redis, failing fast and typed when Redis cannot answer, and tracks whether
// Redis was reachable at the last attempt. Errors come in two kinds: Redis down (unreachable, too slow, busy
// loading or failing over) — `ClusterLimitUnavailableError`, which `onRedisDown: 'local'` may fall back from — and
// Redis refusing the command for good — `ClusterLimitConfigurationError`, which never falls back.
import type { Cluster, Redis } from 'ioredis';
import type { Clock, Timer } from '../clock.js';
import { ClusterLimitConfigurationError, ClusterLimitUnavailableError } from '../errors.js';
import { type SemaphoreScript, semaphoreKeys } from './semaphore-scripts.js';

/** What became of Redis at an attempt: its first failure after a success, or its first success after a failure. */
export type ReachabilityChange = { kind: 'failed'; error: ClusterLimitUnavailableError } | { kind: 'recovered' };

// Error replies that mean "not now" rather than "never": the server is loading its data, running a slow script,
// failing over, or its cluster is incomplete. Any other error reply is a configuration error.
const transientReplies = new Set([
  'LOADING',
  'BUSY',
  'CLUSTERDOWN',
  'TRYAGAIN',
  'MASTERDOWN',
  'READONLY',
  'MISCONF',
  'NOREPLICAS',
]);

/** The error code of a Redis error reply (`WRONGTYPE`, `OOM`, …), or `undefined` for a connection failure. */
export function redisReplyCode(error: unknown): string | undefined {
  if ((error as Error)?.name !== 'ReplyError') return undefined;
  return /^[A-Z_]+/.exec(String((error as Error).message))?.[0] ?? 'ERR';
}

/** Runs a cluster limit's scripts with a timeout; failures are typed by kind (see the file's head). */
export class RedisScriptRunner {
  readonly #redis: Redis | Cluster;
  readonly #key: string;
  readonly #keys: string[];
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #onChange: (change: ReachabilityChange) => void;
  #isReachable = true;

  constructor(
    config: { redis: Redis | Cluster; key: string; clock: Clock; redisTimeoutMs: number },
    onChange: (change: ReachabilityChange) => void,
  ) {
    this.#redis = config.redis;
    this.#key = config.key;
    this.#keys = semaphoreKeys(config.key);
    this.#clock = config.clock;
    this.#timeoutMs = config.redisTimeoutMs;
    this.#onChange = onChange;
  }

  /** Did the last attempt succeed? */
  get isReachable(): boolean {
    return this.#isReachable;
  }

  /** Run `script` on the limit's keys; resolves with its reply, an array of integers. */
  async run(script: SemaphoreScript, args: readonly (string | number)[]): Promise<number[]> {
    let timer: Timer | undefined;
    try {
      const reply = await new Promise<unknown>((resolve, reject) => {
        // A client that gave up reconnecting answers nothing ever again. Any other state may still answer in time;
        // a command it queues and runs after we gave up is harmless, because giving up a take sends a `forget`
        // for the same token on the same connection, which runs after it.
        const status = this.#redis.status;
        if (status === 'end') throw this.#unavailable('the Redis client was closed (status "end")');
        timer = this.#clock.setTimer(
          this.#timeoutMs,
          () => reject(this.#unavailable(`Redis did not answer within ${this.#timeoutMs}ms`)),
          { unref: true },
        );
        this.#send(script, args).then(resolve, (error: Error) => reject(this.#classify(error)));
      });
      this.#maybeChange(true);
      return reply as number[];
    } catch (error) {
      // Redis answered a configuration error: it is reachable.
      if (error instanceof ClusterLimitConfigurationError) this.#maybeChange(true);
      else this.#maybeChange(false, error as ClusterLimitUnavailableError);
      throw error;
    } finally {
      timer?.cancel();
    }
  }

  async #send(script: SemaphoreScript, args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await this.#redis.evalsha(script.sha, this.#keys.length, ...this.#keys, ...args);
    } catch (error) {
      // A Redis that restarted has forgotten the script: send it whole once, EVALSHA finds it afterwards.
      if (redisReplyCode(error) !== 'NOSCRIPT') throw error;
      return this.#redis.eval(script.source, this.#keys.length, ...this.#keys, ...args);
    }
  }

  #classify(error: Error): ClusterLimitUnavailableError | ClusterLimitConfigurationError {
    const code = redisReplyCode(error);
    if (code === undefined || transientReplies.has(code)) {
      return this.#unavailable(`Redis failed: ${error?.message}`, error);
    }
    return new ClusterLimitConfigurationError(this.#key, code, error.message, error);
  }

  #unavailable(why: string, cause?: unknown): ClusterLimitUnavailableError {
    return new ClusterLimitUnavailableError(this.#key, why, cause);
  }

  #maybeChange(isReachable: boolean, error?: ClusterLimitUnavailableError): void {
    if (this.#isReachable === isReachable) return;
    this.#isReachable = isReachable;
    this.#onChange(isReachable ? { kind: 'recovered' } : { kind: 'failed', error: error! });
  }
}
