// What supervisors tell observers. Delivery never lets a listener's fault reach the supervisor: a supervisor that
// stopped restarting because a logger threw would turn a logging bug into an outage.
import { EventEmitter } from 'node:events';
import type { RestartIntensityError } from '../errors.js';
import type { ChildHandle } from './child.js';
import type { Exit } from './exit.js';

/** The events of `Supervisor` and `DynamicSupervisor`, each with its one payload. Never `'error'`. */
export interface SupervisorEventMap {
  /** A child started (first start or restart). */
  'child:started': [{ readonly supervisorId: string; readonly id: string; readonly handle: ChildHandle }];
  /** A child exited, for any reason (also when its supervisor stopped it). */
  'child:exited': [{ readonly supervisorId: string; readonly id: string; readonly exit: Exit }];
  /** A child was started again by a restart (after `child:started`). */
  'child:restarted': [{ readonly supervisorId: string; readonly id: string }];
  /** The supervisor exceeded its restart intensity and is stopping all its children to report its own crash. */
  'supervisor:restartLimitReached': [{ readonly supervisorId: string; readonly error: RestartIntensityError }];
}

/** A typed EventEmitter whose own events are delivered so that a throwing listener only raises a warning. */
export class SupervisorEventEmitter extends EventEmitter<SupervisorEventMap> {
  /** Emit `event` to every listener; a listener that throws is reported with `process.emitWarning`. */
  protected announce<E extends keyof SupervisorEventMap>(event: E, ...args: SupervisorEventMap[E]): void {
    // rawListeners, not listeners: the `once` wrappers must run so they remove themselves.
    const listeners = this.rawListeners(event as never) as unknown as ((...payload: unknown[]) => void)[];
    for (const listener of listeners) {
      try {
        listener.apply(this, args);
      } catch (error) {
        process.emitWarning(`a supervisor "${event}" listener threw: ${String(error)}`, 'PoolToyWarning');
      }
    }
  }
}
