// PoolToy as its users get it: the built package (`npm run build`), imported by name through the package's own
// exports. The suites run the anchors alone, and say so, while PoolToy's API is not there yet.
import { fileURLToPath } from 'node:url';

/** The `pooltoy` module, or `undefined` with the reason printed once, when it is not built or lacks `exports`. */
export async function loadPoolToy(...exports) {
  let module;
  try {
    module = await import('pooltoy');
  } catch (error) {
    warnOnce(`PoolToy is not built (${error.code ?? error.message}): run \`npm run build\`; anchors only.`);
    return undefined;
  }
  const missing = ['createPool', ...exports].filter((name) => typeof module[name] !== 'function');
  if (missing.length > 0) {
    warnOnce(`PoolToy does not export ${missing.join(', ')} yet: anchors only where they are needed.`);
    return undefined;
  }
  return module;
}

/**
 * PoolToy's entries for `kind` (`threadWorker` or `processWorker`): one call per worker at a time, and, when the
 * pool accepts the option, `callsPerWorker` = the calls in flight per worker (pipelining).
 */
export async function poolToyTaskEntries(kind, size, inFlight) {
  const pooltoy = await loadPoolToy(kind);
  if (!pooltoy) return [];
  const start = async (options) => {
    const pool = await pooltoy.createPool({
      worker: pooltoy[kind](echoWorker),
      size,
      maxOverflow: 0,
      ...options,
    });
    return { call: (payload) => pool.run(payload), close: () => pool.stop() };
  };
  const entries = [{ name: 'PoolToy', start: () => start({}) }];
  const callsPerWorker = inFlight / size;
  try {
    // The option is opt-in and may not have landed: probe it once rather than fail the suite.
    // The pool counts call slots: `size` workers of `callsPerWorker` slots each is `size * callsPerWorker` slots.
    const pipelined = { size: size * callsPerWorker, callsPerWorker };
    await (await start(pipelined)).close();
    entries.push({ name: 'PoolToy pipelined', start: () => start(pipelined), callsPerWorker });
  } catch (error) {
    process.stderr.write(`  ! PoolToy has no callsPerWorker yet (${error.code ?? error.message}): not measured.\n`);
  }
  return entries;
}

const echoWorker = fileURLToPath(new URL('./workers/echo-pooltoy.mjs', import.meta.url));
const warned = new Set();

function warnOnce(message) {
  if (warned.has(message)) return;
  warned.add(message);
  process.stderr.write(`  ! ${message}\n`);
}
