// The only process-wide handlers PoolToy ever installs, and only when asked (`handleSignals: true`): a service
// stopped by its supervisor (systemd, Kubernetes, a terminal's Ctrl-C) should stop its pools before it exits.
import { constants } from 'node:os';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * On SIGTERM or SIGINT, run `stop` and exit with 128 + the signal's number (143, 130), as a shell reports a
 * process ended by it. A second signal while stopping exits at once. Returns the function that removes them.
 */
export function installSignalHandlers(stop: () => Promise<unknown>): () => void {
  let isStopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    const code = 128 + (constants.signals[signal] ?? 0);
    // The operator asked twice: waiting for stubborn leases is no longer wanted.
    if (isStopping) process.exit(code);
    isStopping = true;
    stop().then(
      () => process.exit(code),
      (error: unknown) => {
        process.emitWarning(`PoolToy could not stop cleanly on ${signal}: ${String(error)}`, 'PoolToyWarning');
        process.exit(code);
      },
    );
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  return () => {
    for (const signal of SIGNALS) process.off(signal, onSignal);
  };
}
