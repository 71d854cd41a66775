// A typed worker module for the type tests (checked by tsc, never run): its default export is what `serve` returns,
// so `threadWorker<typeof import('./fib-worker.js')>(url)` takes the handler's payload and result types.
import { serve } from '../../src/worker/index.js';

const fib = (n: number): number => (n < 2 ? n : fib(n - 1) + fib(n - 2));

export default serve((n: number) => fib(n));
