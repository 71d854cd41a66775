// Unique names for live children. An entry vanishes the moment its child exits — synchronously, through
// `onExit`, not a promise tick later — so a lookup never hands out a dead child.
import { InvalidArgumentError, NameTakenError, RegistryStoppedError } from './errors.js';
import { Child, type ChildHandle } from './supervisor/child.js';
import { describeExit, type Exit, killedExit, shutdownExit } from './supervisor/exit.js';

/**
 * A map from unique names to live children. It is a `ChildHandle` itself, so it can sit in a supervision tree
 * (PoolToy's root starts it first): stopping it forgets every name.
 */
export class Registry<T extends ChildHandle = ChildHandle> extends Child {
  readonly #entries = new Map<string, { readonly child: T; readonly unsubscribe: () => void }>();

  /** Name `child`; throws `NameTakenError` for a name held by a live child, `InvalidArgumentError` for a bad name. */
  register(name: string, child: T): void {
    if (typeof name !== 'string' || name === '')
      throw new InvalidArgumentError('registry name', 'a non-empty string', name);
    if (typeof child?.onExit !== 'function')
      throw new InvalidArgumentError(`child for "${name}"`, 'a ChildHandle', child);
    if (this.hasExited) throw new RegistryStoppedError();
    if (this.#entries.has(name)) throw new NameTakenError(name);
    if (child.exit !== undefined) {
      throw new InvalidArgumentError(
        `child for "${name}"`,
        'a live child',
        `a child that exited (${describeExit(child.exit)})`,
      );
    }
    let isRegistered = true;
    const unsubscribe = child.onExit(() => {
      if (isRegistered) this.#entries.delete(name);
    });
    this.#entries.set(name, {
      child,
      unsubscribe: () => {
        isRegistered = false;
        unsubscribe();
      },
    });
  }

  /** The live child registered as `name`, or `undefined`. */
  lookup(name: string): T | undefined {
    return this.#entries.get(name)?.child;
  }

  /** Forget `name` (and stop watching its child); `false` when it was not registered. */
  unregister(name: string): boolean {
    const entry = this.#entries.get(name);
    if (entry === undefined) return false;
    entry.unsubscribe();
    this.#entries.delete(name);
    return true;
  }

  /** The registered names, in registration order. */
  keys(): string[] {
    return [...this.#entries.keys()];
  }

  /** How many names are registered. */
  get size(): number {
    return this.#entries.size;
  }

  /** Forget every name and report `shutdown`: the registry owns no child, so there is nothing to wait for. */
  stop(): void {
    this.#close(shutdownExit);
  }

  /** As `stop()`, reporting `killed`. */
  kill(): void {
    this.#close(killedExit());
  }

  #close(exit: Exit): void {
    if (this.hasExited) return;
    for (const name of this.keys()) this.unregister(name);
    this.reportExit(exit);
  }
}
