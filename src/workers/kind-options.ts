// Validation of the options shared by the process, thread and command kinds: checked once, when the kind is made,
// so a typo fails at `createPool`, not at the first start.
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from '../errors.js';

/** A worker module: a path (relative to the current directory) or a `file:` URL such as `new URL('./w.js', import.meta.url)`. */
export type WorkerModule = string | URL;

/** Reject a value that is not an options object, or that has a key the kind does not know. */
export function checkKindOptions(kind: string, options: unknown, known: readonly string[]): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(`${kind}() options`, 'an object', options);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new InvalidArgumentError(`${kind}() option "${key}"`, `one of ${known.join(', ')}`, key);
    }
  }
}

/** The module's absolute path: resolved once, so a later `process.chdir` or a `cwd` option does not move it. */
export function checkModule(kind: string, module: unknown): string {
  if (module instanceof URL) {
    if (module.protocol !== 'file:') throw new InvalidArgumentError(`${kind}() module`, 'a file: URL', module.href);
    return fileURLToPath(module);
  }
  if (typeof module !== 'string' || module === '') {
    throw new InvalidArgumentError(`${kind}() module`, 'a path or a file: URL', module);
  }
  if (module.startsWith('file:')) return fileURLToPath(module);
  return isAbsolute(module) ? module : resolve(module);
}

/** An optional array of strings (arguments, flags), copied. */
export function checkStringArray(kind: string, option: string, value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new InvalidArgumentError(`${kind}() option "${option}"`, 'an array of strings', value);
  }
  return [...value];
}

/** `stopTimeoutMs`: how long a stopped worker gets before it is killed. */
export function checkStopTimeoutMs(kind: string, value: unknown): number {
  if (value === undefined) return 5000;
  if (typeof value !== 'number' || !(value >= 0)) {
    throw new InvalidArgumentError(`${kind}() option "stopTimeoutMs"`, 'a number of milliseconds >= 0', value);
  }
  return value;
}

/** Reject an option outside its allowed values. */
export function checkOneOf<T extends string>(kind: string, option: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new InvalidArgumentError(`${kind}() option "${option}"`, allowed.map((v) => `"${v}"`).join(' or '), value);
  }
  return value as T;
}

/** Where a process or command worker's stderr goes, besides the tail kept for the error that reports its death. */
export type StderrTarget = 'inherit' | 'ignore' | ((chunk: Buffer) => void);

/** `stderr`: `'inherit'` (this process' stderr, as it comes), `'ignore'`, or a function given each chunk. */
export function checkStderrTarget(kind: string, value: unknown): StderrTarget {
  if (value === undefined) return 'inherit';
  if (value === 'inherit' || value === 'ignore' || typeof value === 'function') return value as StderrTarget;
  throw new InvalidArgumentError(`${kind}() option "stderr"`, '"inherit", "ignore" or a function of each chunk', value);
}
