// How a supervisor stops one child, per the child's `Shutdown`: ask, then force once the child has had its time.
import type { Clock } from '../clock.js';
import type { ChildHandle, Shutdown } from './child.js';
import type { Exit } from './exit.js';

/** The shutdown a child spec gets when it names none: workers get 5 s, supervisors as long as their children take. */
export function defaultShutdown(type: 'worker' | 'supervisor'): Shutdown {
  // A supervisor bounds its own children's shutdowns, so a timeout above it would only cut those short.
  return type === 'supervisor' ? 'infinity' : 5000;
}

/**
 * Stop `child` per `shutdown`: `stop()` then `kill()` after that many ms; `'brutal'` kills at once; `'infinity'`
 * waits as long as the child takes. Resolves with the child's exit.
 */
export async function shutdownChild(child: ChildHandle, shutdown: Shutdown, clock: Clock): Promise<Exit> {
  if (child.exit !== undefined) return child.exit;
  if (shutdown === 'brutal') {
    child.kill();
    return child.exited;
  }
  child.stop();
  if (shutdown === 'infinity') return child.exited;
  const timer = clock.setTimer(shutdown, () => child.kill());
  try {
    return await child.exited;
  } finally {
    timer.cancel();
  }
}
