// `pooltoy/worker`: what a worker module imports. Re-exports only.

export type { Handler, HandlerContext, ServeOptions } from './serve.js';
export { serve } from './serve.js';
