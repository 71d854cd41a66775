// Who may talk to the observer. Reads are refused only for a foreign Host (DNS rebinding would otherwise let a
// web page read the tree); actions also need a same-origin POST carrying the token, so neither another site
// (CSRF) nor a page without the token can kill workers.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Refusal } from './refusal.js';

/** The header an action carries its token in. */
export const tokenHeader = 'x-pooltoy-token';

const loopbackNames = ['127.0.0.1', 'localhost', '[::1]'];

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Checks the Host, Origin and token of requests to one observer server. */
export class RequestGuard {
  #allowedHosts = new Set<string>();
  #tokenDigest: Buffer | undefined;
  /** The token actions need; undefined when actions are off. */
  readonly token: string | undefined;

  constructor(options: { hostNames: readonly string[]; port: number; actions: boolean }) {
    for (const name of [...loopbackNames, ...options.hostNames]) {
      const bare = name.toLowerCase();
      const host = bare.includes(':') && !bare.startsWith('[') ? `[${bare}]` : bare;
      this.#allowedHosts.add(`${host}:${options.port}`);
      if (options.port === 80) this.#allowedHosts.add(host);
    }
    this.token = options.actions ? randomBytes(24).toString('base64url') : undefined;
    this.#tokenDigest = this.token === undefined ? undefined : digest(this.token);
  }

  /** Refuse a request whose Host header names another server than this one. */
  checkHost(req: IncomingMessage): Refusal | undefined {
    const host = req.headers.host?.toLowerCase();
    if (host !== undefined && this.#allowedHosts.has(host)) return undefined;
    return {
      status: 421,
      code: 'ERR_OBSERVER_HOST_REFUSED',
      message: 'this observer answers only to its own host names; add others with the allowedHosts option',
      expected: [...this.#allowedHosts].join(' or '),
      got: host ?? 'no Host header',
    };
  }

  /** Refuse an action that is off, cross-origin, or without the right token. Call after `checkHost`. */
  checkAction(req: IncomingMessage): Refusal | undefined {
    if (this.#tokenDigest === undefined) {
      return {
        status: 403,
        code: 'ERR_OBSERVER_ACTIONS_DISABLED',
        message: 'actions are off: start the observer with { actions: true }',
      };
    }
    const origin = req.headers.origin;
    const expectedOrigin = `http://${req.headers.host}`;
    const fetchSite = req.headers['sec-fetch-site'];
    if (origin !== expectedOrigin || (fetchSite !== undefined && fetchSite !== 'same-origin')) {
      return {
        status: 403,
        code: 'ERR_OBSERVER_CROSS_ORIGIN',
        message: 'actions are accepted only from the observer page itself (same origin)',
        expected: `Origin: ${expectedOrigin}`,
        got: origin === undefined ? 'no Origin header' : `Origin: ${origin}, Sec-Fetch-Site: ${fetchSite ?? '-'}`,
      };
    }
    const token = req.headers[tokenHeader];
    // Compare digests: equal lengths for timingSafeEqual, and no timing hint about the token's length.
    if (typeof token !== 'string' || !timingSafeEqual(digest(token), this.#tokenDigest)) {
      return {
        status: 401,
        code: 'ERR_OBSERVER_TOKEN_REQUIRED',
        message: `actions need the observer's token in the ${tokenHeader} header (open observer.pageUrl)`,
        got: typeof token === 'string' ? 'a wrong token' : 'no token',
      };
    }
    return undefined;
  }
}
