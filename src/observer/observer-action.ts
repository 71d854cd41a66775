// The observer's actions as a tagged union: parsed from the POST body, then run against the tree.
import { describeValue } from '../errors.js';
import type { ObservedTree } from './observed-tree.js';
import type { Refusal } from './refusal.js';

/** One action a person can take from the page. */
export type ObserverAction =
  | { readonly type: 'killWorker'; readonly pool: string; readonly workerId: string }
  | { readonly type: 'stopPool'; readonly pool: string }
  | { readonly type: 'startPool'; readonly pool: string };

/** What running an action gave: done, or refused with a status. */
export type ActionOutcome =
  | { readonly kind: 'done'; readonly action: ObserverAction }
  | { readonly kind: 'refused'; readonly refusal: Refusal };

const actionShape =
  '{ "type": "killWorker", "pool": name, "workerId": id } | { "type": "stopPool" | "startPool", "pool": name }';

function badAction(got: unknown, why: string): Refusal {
  return { status: 400, code: 'ERR_OBSERVER_BAD_ACTION', message: why, expected: actionShape, got: describeValue(got) };
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && value !== '' && value.length <= 200;
}

/** Check a parsed body against the action shapes. */
export function parseObserverAction(body: unknown): ObserverAction | Refusal {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return badAction(body, 'an action is an object');
  const { type, pool, workerId } = body as Record<string, unknown>;
  if (type !== 'killWorker' && type !== 'stopPool' && type !== 'startPool') {
    return badAction(type, 'unknown action type');
  }
  if (!isName(pool)) return badAction(pool, '"pool" must be a pool name');
  if (type !== 'killWorker') return { type, pool };
  if (!isName(workerId)) return badAction(workerId, '"workerId" must be a worker id');
  return { type, pool, workerId };
}

// Errors from the tree carry a PoolToyError code: map the ones a person can cause to a status, and say the rest.
const statusByCode: Readonly<Record<string, number>> = {
  ERR_POOL_NOT_FOUND: 404,
  ERR_POOL_EXISTS: 409,
  ERR_POOL_STOPPED: 409,
};

function refusalOf(error: unknown): Refusal {
  const code = (error as { code?: unknown })?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string') return { status: statusByCode[code] ?? 409, code, message };
  return { status: 500, code: 'ERR_OBSERVER_ACTION_FAILED', message };
}

function poolNotFound(name: string): Refusal {
  return { status: 404, code: 'ERR_POOL_NOT_FOUND', message: `no pool named ${JSON.stringify(name)} is running` };
}

/** Run `action` on `tree`; unknown pools and workers are refused with 404, never thrown. */
export async function runObserverAction(tree: ObservedTree, action: ObserverAction): Promise<ActionOutcome> {
  try {
    const isRunning = tree.snapshot().pools.some((pool) => pool.name === action.pool);
    switch (action.type) {
      case 'killWorker':
        if (!isRunning) return { kind: 'refused', refusal: poolNotFound(action.pool) };
        if (!tree.killWorker(action.pool, action.workerId)) {
          const message = `pool ${JSON.stringify(action.pool)} has no worker ${JSON.stringify(action.workerId)}`;
          return { kind: 'refused', refusal: { status: 404, code: 'ERR_WORKER_NOT_FOUND', message } };
        }
        break;
      case 'stopPool':
        if (!isRunning) return { kind: 'refused', refusal: poolNotFound(action.pool) };
        await tree.stopPool(action.pool);
        break;
      case 'startPool':
        await tree.restartPool(action.pool);
        break;
    }
    return { kind: 'done', action };
  } catch (error) {
    return { kind: 'refused', refusal: refusalOf(error) };
  }
}
