// One name, one meaning for every timeout: `checkoutTimeoutMs` bounds the wait for a worker (checkout, run),
// `runTimeoutMs` bounds one call (run, lease.worker.call). The per-call `timeoutMs` of 0.1 meant either, by
// operation; it stays one minor release as a deprecated alias of the name it meant there.
import { InvalidArgumentError } from '../errors.js';
import { isDuration } from '../options.js';

/**
 * The value of `name` in `options`, or of its deprecated alias `timeoutMs`, or undefined when neither is given.
 * Both given → `InvalidArgumentError` (they would disagree, or one is redundant).
 */
export function timeoutWithAlias(
  operation: string,
  options: { readonly checkoutTimeoutMs?: unknown; readonly runTimeoutMs?: unknown; readonly timeoutMs?: unknown },
  name: 'checkoutTimeoutMs' | 'runTimeoutMs',
): unknown {
  const value = options[name];
  const alias = options.timeoutMs;
  if (alias === undefined) return value;
  if (value !== undefined) {
    throw new InvalidArgumentError(
      `${operation} options "${name}" and "timeoutMs"`,
      `only "${name}" ("timeoutMs" is its deprecated alias)`,
      `both, ${String(value)} and ${String(alias)}`,
    );
  }
  return alias;
}

/** The wait for a worker a checkout or run asked for (`checkoutTimeoutMs`, or its alias `timeoutMs`), checked. */
export function checkoutTimeout(
  operation: string,
  options: { readonly checkoutTimeoutMs?: number; readonly timeoutMs?: number },
  fallback: number,
): number {
  const timeoutMs = timeoutWithAlias(operation, options, 'checkoutTimeoutMs');
  if (timeoutMs === undefined) return fallback;
  if (!isDuration(timeoutMs)) {
    const name = options.timeoutMs === undefined ? 'checkoutTimeoutMs' : 'timeoutMs';
    throw new InvalidArgumentError(`${operation} option "${name}"`, 'a duration in ms, or Infinity', timeoutMs);
  }
  return timeoutMs;
}
