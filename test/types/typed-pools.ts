// Type tests: `npm run typecheck` compiles this file and never runs it. Each `@ts-expect-error` is a program that
// must NOT compile — a wrong payload, a wrong result, an unknown error code; if it ever compiled, tsc would fail on
// the unused directive. The other lines must compile, and `Expect<Equal<…>>` pins the exact types.
import {
  type AnyPoolToyError,
  type CallableWorker,
  type CheckoutTimeoutError,
  commandWorker,
  createPool,
  type Pool,
  PoolToy,
  PoolToyError,
  type PoolToyErrorCode,
  processWorker,
  resourceWorker,
  threadWorker,
} from '../../src/index.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;

const fibModule = new URL('./fib-worker.js', import.meta.url);

interface Connection {
  query(sql: string): Promise<string[]>;
}

export async function aWorkerModuleTypesRun(): Promise<void> {
  const fib = await createPool({ worker: threadWorker<typeof import('./fib-worker.js')>(fibModule) });
  type _pool = Expect<Equal<typeof fib, Pool<CallableWorker<number, number>>>>;
  const n: number = await fib.run(30);
  // @ts-expect-error the handler takes a number
  await fib.run('30');
  // @ts-expect-error the handler returns a number
  const s: string = await fib.run(30);
  const lease = await fib.checkout();
  const m: number = await lease.worker.call(10, { runTimeoutMs: 100 });
  // @ts-expect-error lease.worker.call checks the payload too
  await lease.worker.call({ n: 10 });
  lease.release();
  void [n, s, m];
}

export async function aHandlerTypeTypesProcessAndCommandWorkers(): Promise<void> {
  const upper = await createPool({ worker: processWorker<(text: string) => Promise<string>>(fibModule) });
  const text: string = await upper.run('a');
  // @ts-expect-error the handler takes a string
  await upper.run(1);
  const json = await createPool({ worker: commandWorker<{ a: number; b: number }, { sum: number }>('python3') });
  const { sum }: { sum: number } = await json.run({ a: 1, b: 2 });
  // @ts-expect-error the command is said to take { a, b }
  await json.run({ a: 1 });
  const untyped = await createPool({ worker: threadWorker(fibModule) });
  type _untyped = Expect<Equal<Awaited<ReturnType<typeof untyped.run>>, unknown>>;
  void [text, sum];
}

export async function aResourcePoolIsTypedByItsResource(): Promise<void> {
  const db = await createPool({
    worker: resourceWorker({ create: async (): Promise<Connection> => ({ query: async () => [] }) }),
  });
  type _pool = Expect<Equal<typeof db, Pool<Connection>>>;
  const rows: string[] = await db.transaction((connection) => connection.query('select 1'));
  // @ts-expect-error a resource without call() answers no run()
  await db.run('select 1');
  void rows;
}

export async function aTreeKeepsEachPoolsType(): Promise<void> {
  const toy = await PoolToy.start({
    pools: {
      db: { worker: resourceWorker({ create: (): Connection => ({ query: async () => [] }) }), size: 1 },
      fib: { worker: threadWorker<typeof import('./fib-worker.js')>(fibModule), size: 2 },
    },
  });
  const db = toy.pool('db');
  type _db = Expect<Equal<typeof db, Pool<Connection>>>;
  const n: number = await toy.pool('fib').run(20);
  // @ts-expect-error the fib pool's handler takes a number
  await toy.pool('fib').run('20');
  const rows: string[] = await db.transaction((connection) => connection.query('select 1'));
  // A pool started later, by name only: the caller says its type, or gets `unknown`.
  const later = toy.pool('later');
  type _later = Expect<Equal<typeof later, Pool<unknown>>>;
  const bare: PoolToy = toy; // a bare annotation accepts any tree
  void [n, rows, bare];
}

export function errorCodesAreLiteralsASwitchNarrows(error: unknown): string {
  type _code = Expect<Equal<CheckoutTimeoutError['code'], 'ERR_POOL_CHECKOUT_TIMEOUT'>>;
  const code: PoolToyErrorCode = 'ERR_POOL_FULL';
  // @ts-expect-error not a PoolToy error code
  const wrong: PoolToyErrorCode = 'ERR_POOL_FUL';
  void [code, wrong];
  if (!(error instanceof PoolToyError)) return 'not ours';
  const ours = error as AnyPoolToyError;
  switch (ours.code) {
    case 'ERR_POOL_CHECKOUT_TIMEOUT':
      return `waited ${ours.timeoutMs} ms`; // narrowed to CheckoutTimeoutError
    case 'ERR_WORKER_EXIT':
      return `exit code ${ours.exitCode}`; // narrowed to WorkerExitError
    // @ts-expect-error a code no PoolToy error has
    case 'ERR_NO_SUCH_CODE':
      return 'never';
    default:
      return ours.code;
  }
}
