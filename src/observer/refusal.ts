// How the observer says no: a status, a stable code and a sentence, always as JSON, so a script (or the page)
// can tell a missing token from a stopped pool without parsing prose.
import type { ServerResponse } from 'node:http';

/** A request the observer refused: sent as `{ error: { code, message, expected?, got? } }`. */
export interface Refusal {
  readonly status: number;
  /** Stable, Node-style, e.g. `ERR_OBSERVER_TOKEN_REQUIRED`, `ERR_POOL_NOT_FOUND`. */
  readonly code: string;
  readonly message: string;
  readonly expected?: string;
  readonly got?: string;
}

// Every answer, page or JSON, carries these: nothing may frame the page, sniff a type, or cache live state.
const commonHeaders = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
} as const;

/** Send a complete response with the observer's safety headers. */
export function sendBody(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string | Buffer,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, {
    ...commonHeaders,
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

/** Send `value` as JSON. */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  sendBody(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

/** Send a refusal as JSON; `headers` adds e.g. `allow` or `connection: close`. */
export function sendRefusal(res: ServerResponse, refusal: Refusal, headers?: Readonly<Record<string, string>>): void {
  const { status, ...error } = refusal;
  sendBody(res, status, 'application/json; charset=utf-8', JSON.stringify({ error }), headers);
}

/** The headers every response of the observer carries, for responses written by hand (the live stream). */
export const observerHeaders: Readonly<Record<string, string>> = commonHeaders;
