import { afterEach, describe, expect, it } from 'vitest';
import { send } from '../../test/fixtures/observer-client.js';
import { StandInTree } from '../../test/fixtures/stand-in-tree.js';
import { type Observer, serveObserver } from './serve-observer.js';

const opened: Observer[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((observer) => observer.close()));
});

async function observe(options: { actions?: boolean } = { actions: true }) {
  const tree = new StandInTree({ db: 2 });
  const observer = await serveObserver(tree, options);
  opened.push(observer);
  const origin = observer.url.slice(0, -1);
  /** POST an action as the page would, with `overrides` changing or removing (undefined) headers. */
  const act = (body: unknown, overrides: Record<string, string | undefined> = {}) => {
    const headers: Record<string, string> = {};
    const wanted = {
      'content-type': 'application/json',
      origin,
      'x-pooltoy-token': observer.token,
      'sec-fetch-site': 'same-origin',
      ...overrides,
    };
    for (const [name, value] of Object.entries(wanted)) if (value !== undefined) headers[name] = value;
    return send(observer.url, 'api/actions', {
      method: 'POST',
      headers,
      body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
    });
  };
  const workerIds = () => tree.snapshot().pools[0]!.workers.map((worker) => worker.id);
  return { tree, observer, act, workerIds };
}

/** After any refusal the server must still answer. */
async function expectServing(observer: Observer) {
  expect((await send(observer.url, 'api/snapshot')).status).toBe(200);
}

describe('killWorker action', () => {
  it('kills the worker and the tree replaces it', async () => {
    const { act, workerIds } = await observe();
    const answer = await act({ type: 'killWorker', pool: 'db', workerId: 'db#1' });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ ok: true, action: { type: 'killWorker', pool: 'db', workerId: 'db#1' } });
    expect(workerIds()).not.toContain('db#1');
    expect(workerIds()).toHaveLength(2);
  });

  it('answers 404 for an unknown pool and for an unknown worker', async () => {
    const { observer, act, workerIds } = await observe();
    const noPool = await act({ type: 'killWorker', pool: 'nope', workerId: 'db#1' });
    expect(noPool.status).toBe(404);
    expect(noPool.json.error.code).toBe('ERR_POOL_NOT_FOUND');
    const noWorker = await act({ type: 'killWorker', pool: 'db', workerId: 'db#999' });
    expect(noWorker.status).toBe(404);
    expect(noWorker.json.error.code).toBe('ERR_WORKER_NOT_FOUND');
    expect(workerIds()).toEqual(['db#1', 'db#2']);
    await expectServing(observer);
  });
});

describe('stopPool and startPool actions', () => {
  it('stops a pool, then starts it again', async () => {
    const { tree, act } = await observe();
    expect((await act({ type: 'stopPool', pool: 'db' })).status).toBe(200);
    expect(tree.snapshot().pools).toEqual([]);
    expect((await act({ type: 'startPool', pool: 'db' })).status).toBe(200);
    expect(tree.snapshot().pools.map((pool) => pool.name)).toEqual(['db']);
  });

  it('passes on the tree refusal to start a running pool as 409 with its code', async () => {
    const { act } = await observe();
    const answer = await act({ type: 'startPool', pool: 'db' });
    expect(answer.status).toBe(409);
    expect(answer.json.error.code).toBe('ERR_POOL_EXISTS');
  });

  it('answers 404 to stop or start a pool that never existed', async () => {
    const { act } = await observe();
    expect((await act({ type: 'stopPool', pool: 'ghost' })).json.error.code).toBe('ERR_POOL_NOT_FOUND');
    expect((await act({ type: 'startPool', pool: 'ghost' })).status).toBe(404);
  });
});

describe('refused actions', () => {
  it('are all refused when the observer was started without actions', async () => {
    const { observer, act, workerIds } = await observe({});
    const answer = await act({ type: 'killWorker', pool: 'db', workerId: 'db#1' }, { 'x-pooltoy-token': 'guess' });
    expect(answer.status).toBe(403);
    expect(answer.json.error.code).toBe('ERR_OBSERVER_ACTIONS_DISABLED');
    expect(workerIds()).toContain('db#1');
    await expectServing(observer);
  });

  it('refuses a missing or wrong token with 401', async () => {
    const { act, workerIds } = await observe();
    const kill = { type: 'killWorker', pool: 'db', workerId: 'db#1' };
    const missing = await act(kill, { 'x-pooltoy-token': undefined });
    expect(missing.status).toBe(401);
    expect(missing.json.error).toMatchObject({ code: 'ERR_OBSERVER_TOKEN_REQUIRED', got: 'no token' });
    const wrong = await act(kill, { 'x-pooltoy-token': 'A'.repeat(32) });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error.got).toBe('a wrong token');
    expect(workerIds()).toContain('db#1');
  });

  it('refuses another origin, a missing Origin and a cross-site fetch, even with the token', async () => {
    const { act, workerIds } = await observe();
    const kill = { type: 'killWorker', pool: 'db', workerId: 'db#1' };
    for (const overrides of [
      { origin: 'http://evil.example' },
      { origin: 'http://127.0.0.1:1' },
      { origin: undefined },
      { 'sec-fetch-site': 'cross-site' },
    ]) {
      const answer = await act(kill, overrides);
      expect(answer.status, JSON.stringify(overrides)).toBe(403);
      expect(answer.json.error.code).toBe('ERR_OBSERVER_CROSS_ORIGIN');
    }
    expect(workerIds()).toContain('db#1');
  });

  it('refuses a body over the limit, declared or streamed, and keeps serving', async () => {
    const { observer, act } = await observe();
    const huge = Buffer.alloc(8 * 1024 * 1024, 'x');
    const declared = await act(huge);
    expect(declared.status).toBe(413);
    expect(declared.json.error.code).toBe('ERR_OBSERVER_BODY_TOO_LARGE');
    const streamed = await act(huge, { 'transfer-encoding': 'chunked' });
    expect(streamed.status).toBe(413);
    await expectServing(observer);
  });

  it('refuses malformed JSON, a non-JSON type and a body that is not an action with 400 or 415', async () => {
    const { observer, act } = await observe();
    const badJson = await act('{"type": "killWorker",');
    expect(badJson.status).toBe(400);
    expect(badJson.json.error.code).toBe('ERR_OBSERVER_BAD_JSON');
    const form = await act('type=stopPool&pool=db', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    expect(form.json.error).toMatchObject({
      code: 'ERR_OBSERVER_UNSUPPORTED_MEDIA_TYPE',
      expected: 'Content-Type: application/json',
    });
    for (const body of [
      [],
      'null',
      { type: 'explode', pool: 'db' },
      { type: 'stopPool' },
      { type: 'killWorker', pool: 'db' },
    ]) {
      const answer = await act(body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.json.error).toMatchObject({
        code: 'ERR_OBSERVER_BAD_ACTION',
        expected: expect.stringContaining('killWorker'),
      });
    }
    await expectServing(observer);
  });

  it('refuses GET on the actions route with 405', async () => {
    const { observer } = await observe();
    const answer = await send(observer.url, 'api/actions');
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe('POST');
  });
});
