// The live feed of open pages, over Server-Sent Events: the tree's events as they happen (batched, so a burst of
// checkouts is one write), and a fresh snapshot every interval while it changes. Timers run only while a page
// listens, so an idle observer costs nothing.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock, Timer } from '../clock.js';
import type { ObservedTree } from './observed-tree.js';
import { observerHeaders } from './refusal.js';
import type { ToyEvent, ToySnapshot } from './snapshot.js';

/** Events kept for pages that open later. */
const historyLength = 200;
/** How long events gather before one write: short enough to feel live, long enough to batch a burst. */
const eventBatchMs = 50;
/** A page that reads slower than this much is buffered for is dropped rather than grow the host's memory. */
const maxBufferedBytes = 4 * 1024 * 1024;

/** Pushes the tree's events and snapshots to every connected page. */
export class EventStream {
  readonly #tree: ObservedTree;
  readonly #clock: Clock;
  readonly #snapshotIntervalMs: number;
  readonly #hello: unknown;
  #clients = new Set<ServerResponse>();
  #history: ToyEvent[] = [];
  #pending: ToyEvent[] = [];
  #lastSnapshotKey = '';
  #flushTimer: Timer | undefined;
  #snapshotTimer: Timer | undefined;
  #unsubscribe: () => void;

  /** `hello` is sent first to every page (e.g. whether actions are on). */
  constructor(tree: ObservedTree, options: { clock: Clock; snapshotIntervalMs: number; hello: unknown }) {
    this.#tree = tree;
    this.#clock = options.clock;
    this.#snapshotIntervalMs = options.snapshotIntervalMs;
    this.#hello = options.hello;
    this.#unsubscribe = tree.onEvent((event) => this.#record(event));
  }

  /** Connected pages. */
  get size(): number {
    return this.#clients.size;
  }

  /** Events kept for pages that open later, oldest first. */
  get history(): readonly ToyEvent[] {
    return this.#history;
  }

  /** Turn `res` into a live feed: hello, the recent events, the current snapshot, then updates until it closes. */
  add(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      ...observerHeaders,
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
    });
    this.#clients.add(res);
    const drop = () => this.#clients.delete(res);
    req.on('close', drop);
    res.on('close', drop);
    this.#send(res, 'hello', this.#hello);
    if (this.#history.length > 0) this.#send(res, 'events', this.#history);
    const snapshot = this.#readSnapshot();
    if (snapshot) this.#send(res, 'snapshot', snapshot);
    this.#maybeScheduleSnapshot();
  }

  /** End every feed and stop listening to the tree. */
  close(): void {
    this.#unsubscribe();
    this.#flushTimer?.cancel();
    this.#snapshotTimer?.cancel();
    this.#flushTimer = this.#snapshotTimer = undefined;
    for (const res of this.#clients) res.end();
    this.#clients.clear();
  }

  #record(event: ToyEvent): void {
    this.#history.push(event);
    if (this.#history.length > historyLength) this.#history.splice(0, this.#history.length - historyLength);
    if (this.#clients.size === 0) return;
    this.#pending.push(event);
    this.#flushTimer ??= this.#clock.setTimer(eventBatchMs, () => this.#flush(), { unref: true });
  }

  #flush(): void {
    this.#flushTimer = undefined;
    const events = this.#pending;
    this.#pending = [];
    this.#broadcast('events', events);
    // An event usually means the tree changed: show it now rather than at the next tick.
    this.#maybeBroadcastSnapshot();
  }

  #maybeScheduleSnapshot(): void {
    if (this.#snapshotTimer || this.#clients.size === 0) return;
    this.#snapshotTimer = this.#clock.setTimer(
      this.#snapshotIntervalMs,
      () => {
        this.#snapshotTimer = undefined;
        this.#maybeBroadcastSnapshot();
        this.#maybeScheduleSnapshot();
      },
      { unref: true },
    );
  }

  #maybeBroadcastSnapshot(): void {
    const snapshot = this.#readSnapshot();
    if (!snapshot) return;
    // `time` always moves; only a change of the tree itself is worth a write.
    const key = JSON.stringify({ ...snapshot, time: 0 });
    if (key === this.#lastSnapshotKey) return;
    this.#lastSnapshotKey = key;
    this.#broadcast('snapshot', snapshot);
  }

  #readSnapshot(): ToySnapshot | undefined {
    try {
      return this.#tree.snapshot();
    } catch (error) {
      // A tree that is stopping may refuse; the next tick tries again, the feed stays open.
      process.emitWarning(`the observer could not read a snapshot: ${String(error)}`, 'PoolToyWarning');
      return undefined;
    }
  }

  #broadcast(name: string, data: unknown): void {
    if (this.#clients.size === 0) return;
    const frame = `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of this.#clients) this.#write(res, frame);
  }

  #send(res: ServerResponse, name: string, data: unknown): void {
    this.#write(res, `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  #write(res: ServerResponse, frame: string): void {
    if (res.writableLength > maxBufferedBytes) {
      this.#clients.delete(res);
      res.destroy();
      return;
    }
    res.write(frame);
  }
}
