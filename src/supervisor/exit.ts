/**
 * Why a child exited. The four reasons of OTP: `normal` (done), `shutdown` (stopped on request), `killed`
 * (forced: SIGKILL, terminate, or a stop that ran out of time) and `crashed` (anything else, with the error).
 */
export type Exit =
  | { readonly kind: 'normal' }
  | { readonly kind: 'shutdown' }
  | { readonly kind: 'killed'; readonly signal?: string }
  | { readonly kind: 'crashed'; readonly error: Error };

/** The exit of a child that finished its work. */
export const normalExit: Exit = Object.freeze({ kind: 'normal' });
/** The exit of a child stopped on request. */
export const shutdownExit: Exit = Object.freeze({ kind: 'shutdown' });

/** The exit of a child killed (SIGKILL, terminate, or a stop that ran out of time), by `signal` if known. */
export function killedExit(signal?: string): Exit {
  return signal === undefined ? { kind: 'killed' } : { kind: 'killed', signal };
}

/** The exit of a child that crashed with `error` (not an Error: wrapped in one). */
export function crashedExit(error: unknown): Exit {
  return { kind: 'crashed', error: error instanceof Error ? error : new Error(String(error)) };
}

/** Is this exit abnormal (a supervisor counts it towards restart intensity and transient children restart)? */
export function isAbnormal(exit: Exit): boolean {
  return exit.kind === 'crashed' || exit.kind === 'killed';
}

/** One line for logs and error messages: `crashed: Error: boom`, `killed (SIGKILL)`. */
export function describeExit(exit: Exit): string {
  switch (exit.kind) {
    case 'crashed':
      return `crashed: ${exit.error.name}: ${exit.error.message}`;
    case 'killed':
      return exit.signal ? `killed (${exit.signal})` : 'killed';
    default:
      return exit.kind;
  }
}
