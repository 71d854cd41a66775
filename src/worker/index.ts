// `pooltoy/worker`: what a worker module imports. Re-exports only.

/**
 * What a worker module imports: `serve(handler)` answers the pool's calls in a process or thread worker.
 *
 * @module pooltoy/worker
 */

export type { Handler, HandlerContext, ServeOptions } from './serve.js';
export { serve } from './serve.js';
