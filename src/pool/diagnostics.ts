// Every pool event is also published on `node:diagnostics_channel`, for tools (APM agents, loggers, tracers) that
// watch a process without holding a reference to its pools. One channel per event subject, so a tool that only
// wants checkouts pays nothing for worker churn.
import diagnosticsChannel from 'node:diagnostics_channel';
import type { PoolEventMap, PoolEventName } from './pool-events.js';

/** The subject of a pool event, the part before the colon: `checkout:granted` → `checkout`. */
export type PoolEventSubject = PoolEventName extends `${infer Subject}:${string}` ? Subject : never;

/** What a `pooltoy:*` channel publishes: the pool's name, the event's name, and the event's payload. */
export type PoolDiagnosticsMessage = {
  readonly [K in PoolEventName]: PoolEventMap[K] & { readonly pool: string; readonly event: K };
}[PoolEventName];

// Held here for the life of the process: Node 20 keeps channels weakly, and a channel collected between a
// subscribe and a publish would drop messages.
const channelBySubject: Readonly<Record<PoolEventSubject, diagnosticsChannel.Channel>> = {
  checkout: diagnosticsChannel.channel('pooltoy:checkout'),
  checkin: diagnosticsChannel.channel('pooltoy:checkin'),
  worker: diagnosticsChannel.channel('pooltoy:worker'),
  lease: diagnosticsChannel.channel('pooltoy:lease'),
  overflow: diagnosticsChannel.channel('pooltoy:overflow'),
  pool: diagnosticsChannel.channel('pooltoy:pool'),
};

const channels = Object.values(channelBySubject);

/** The name of the channel each event is published on, e.g. `pooltoy:checkout`. */
export const poolDiagnosticsChannels: Readonly<Record<PoolEventSubject, string>> = Object.fromEntries(
  Object.entries(channelBySubject).map(([subject, channel]) => [subject, String(channel.name)]),
) as Record<PoolEventSubject, string>;

// A table rather than parsing the name on every emit: a new event that is not routed here fails to compile.
const channelByEvent: Readonly<Record<PoolEventName, diagnosticsChannel.Channel>> = {
  'checkout:queued': channelBySubject.checkout,
  'checkout:granted': channelBySubject.checkout,
  'checkout:timedOut': channelBySubject.checkout,
  'checkout:rejected': channelBySubject.checkout,
  'checkin:done': channelBySubject.checkin,
  'checkin:ignored': channelBySubject.checkin,
  'worker:starting': channelBySubject.worker,
  'worker:started': channelBySubject.worker,
  'worker:startFailed': channelBySubject.worker,
  'worker:stopping': channelBySubject.worker,
  'worker:exited': channelBySubject.worker,
  'worker:recycled': channelBySubject.worker,
  'overflow:cooling': channelBySubject.overflow,
  'overflow:dismissed': channelBySubject.overflow,
  'lease:revoked': channelBySubject.lease,
  'lease:expired': channelBySubject.lease,
  'lease:leaked': channelBySubject.lease,
  'pool:failing': channelBySubject.pool,
  'pool:recovered': channelBySubject.pool,
  'pool:stopped': channelBySubject.pool,
};

/** Does the channel of `event` have a subscriber? One property read: the pool asks before building a payload. */
export function hasDiagnosticsSubscriberFor(event: PoolEventName): boolean {
  return channelByEvent[event].hasSubscribers;
}

const checkoutChannel = channelBySubject.checkout;
const checkinChannel = channelBySubject.checkin;

/** Does `pooltoy:checkout` have a subscriber? For the hot path: no lookup by event name. */
export function hasCheckoutSubscribers(): boolean {
  return checkoutChannel.hasSubscribers;
}

/** Does `pooltoy:checkin` have a subscriber? For the hot path: no lookup by event name. */
export function hasCheckinSubscribers(): boolean {
  return checkinChannel.hasSubscribers;
}

/** Does any `pooltoy:*` channel have a subscriber? */
export function hasDiagnosticsSubscribers(): boolean {
  for (const channel of channels) if (channel.hasSubscribers) return true;
  return false;
}

/** Publish one pool event on its channel, building the message only when that channel has a subscriber. */
export function maybePublishDiagnostics<K extends PoolEventName>(
  pool: string,
  event: K,
  payload: PoolEventMap[K],
): void {
  const channel = channelByEvent[event];
  if (!channel.hasSubscribers) return;
  // A subscriber that throws is Node's business: diagnostics_channel reports it as an uncaught exception on the
  // next tick, as for any channel, and the pool goes on.
  channel.publish({ ...payload, pool, event });
}
