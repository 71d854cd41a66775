// PoolToy's errors: one class per failure, each with a stable `code` a caller can switch on.

/** Render a value for an error message: short, and never throws. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'symbol') return value.toString();
  if (Array.isArray(value)) return `an array of ${value.length}`;
  const name = (value as object).constructor?.name;
  return name && name !== 'Object' ? `an instance of ${name}` : 'an object';
}

/** The base of every error PoolToy throws or rejects with. */
export class PoolToyError extends Error {
  /** A stable, Node-style code, e.g. `ERR_POOL_CHECKOUT_TIMEOUT`. */
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A pool option was missing, of the wrong type, out of range, or unknown. */
export class InvalidPoolOptionError extends PoolToyError {
  readonly option: string;
  readonly expected: string;
  readonly got: unknown;

  constructor(option: string, expected: string, got: unknown) {
    super(
      'ERR_INVALID_POOL_OPTION',
      `invalid pool option "${option}": expected ${expected}, got ${describeValue(got)}`,
    );
    this.option = option;
    this.expected = expected;
    this.got = got;
  }
}

/** An argument other than a pool option was invalid. */
export class InvalidArgumentError extends PoolToyError {
  readonly argument: string;
  readonly expected: string;
  readonly got: unknown;

  constructor(argument: string, expected: string, got: unknown) {
    super('ERR_INVALID_ARGUMENT', `invalid ${argument}: expected ${expected}, got ${describeValue(got)}`);
    this.argument = argument;
    this.expected = expected;
    this.got = got;
  }
}
