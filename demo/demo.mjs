#!/usr/bin/env node
// The PoolToy demo (`npm start`, `npx pooltoy demo`): three pools under one tree, a load generator whose bursts
// queue, overflow and cool down, optional chaos, and the web observer to watch it all. Ctrl-C stops it cleanly.
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { PoolToy } from 'pooltoy';
import { collectMetrics, serveObserver } from 'pooltoy/observer';
import { Chaos } from './chaos.mjs';
import { demoDatabase } from './demo-database.mjs';
import { demoPools } from './demo-pools.mjs';
import { LoadGenerator } from './load-generator.mjs';

const usage = `usage: pooltoy demo [--port N] [--host H] [--chaos] [--seconds N]
  --port N      the observer's port (default 7070; 0 picks a free one)
  --host H      the address it binds (default 127.0.0.1)
  --chaos       every 2.5 s kill a random worker, or end one of the demo's database backends, to watch
                supervision replace it
  --seconds N   stop after N seconds (default: run until Ctrl-C)`;

/** Parse the command line; throws a message meant for the user. */
function parseDemoArgs(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '7070' },
      host: { type: 'string', default: '127.0.0.1' },
      chaos: { type: 'boolean', default: false },
      seconds: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port: expected 0–65535, got ${values.port}`);
  const seconds = values.seconds === undefined ? undefined : Number(values.seconds);
  if (seconds !== undefined && !(seconds > 0))
    throw new Error(`--seconds: expected a positive number, got ${values.seconds}`);
  return { port, host: values.host, chaos: values.chaos, seconds, help: values.help };
}

/** Metrics for `/metrics` when prom-client is installed (it is an optional peer); undefined otherwise. */
async function maybeCollectMetrics(toy) {
  let promClient;
  try {
    promClient = await import('prom-client');
  } catch {
    return undefined;
  }
  const registry = new (promClient.Registry ?? promClient.default.Registry)();
  return { registry, stop: collectMetrics(toy, registry) };
}

/** `requested` resolves with why the demo should stop: a signal, or the `--seconds` deadline. */
function watchForStop(seconds) {
  let finish;
  const requested = new Promise((resolve) => {
    finish = resolve;
  });
  const timer = seconds === undefined ? undefined : setTimeout(() => stop(`${seconds}s are up`), seconds * 1000);
  const onSignal = (signal) => stop(signal);
  const forceExit = () => {
    // A second Ctrl-C while shutting down means "now"; process workers still end on their own once orphaned.
    console.error('pooltoy demo: forced exit');
    process.exit(130);
  };
  function cancel() {
    clearTimeout(timer);
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
  function stop(reason) {
    cancel();
    process.once('SIGINT', forceExit);
    finish(reason);
  }
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  return { requested, cancel };
}

/** The observer, or undefined after one clear line when the port is taken (no stack: the fix is a flag). */
async function serveDemoObserver(toy, args, metrics, about) {
  try {
    return await serveObserver(toy, {
      port: args.port,
      host: args.host,
      actions: true,
      about,
      ...(metrics && { metricsRegistry: metrics.registry }),
    });
  } catch (error) {
    if (error?.code !== 'EADDRINUSE' && error?.code !== 'EACCES') throw error;
    const why = error.code === 'EADDRINUSE' ? 'is taken' : 'is not allowed';
    console.error(
      `pooltoy demo: port ${args.port} on ${args.host} ${why}: pick another with --port N, or --port 0 for a free one`,
    );
    process.exitCode = 1;
    return undefined;
  }
}

/** Run the demo until Ctrl-C, SIGTERM or `--seconds`; resolves once everything it started has stopped. */
export async function main(argv = process.argv.slice(2)) {
  let args;
  try {
    args = parseDemoArgs(argv);
  } catch (error) {
    console.error(`pooltoy demo: ${error.message}\n${usage}`);
    process.exitCode = 2;
    return;
  }
  if (args.help) return console.log(usage);

  const database = await demoDatabase();
  const toy = await PoolToy.start({ pools: demoPools(database), shutdownTimeoutMs: 2000 });
  const stopWatch = watchForStop(args.seconds);
  let metrics;
  let observer;
  let load;
  let chaos;
  try {
    metrics = await maybeCollectMetrics(toy);
    observer = await serveDemoObserver(toy, args, metrics, `db pool: ${database.description}`);
    if (observer === undefined) return;
    load = new LoadGenerator(toy).start();
    chaos = args.chaos ? await new Chaos(toy, { database }).start() : undefined;
    console.log(`pooltoy demo: open the observer at ${observer.pageUrl} in a browser`);
    console.log(`pooltoy demo: pools ${toy.pools().join(', ')} under load${args.chaos ? ', with chaos' : ''}`);
    console.log(`pooltoy demo: db pool on ${database.description}`);
    if (!args.chaos) console.log('pooltoy demo: add --chaos to watch killed workers and dropped connections replaced');
    console.log(
      metrics
        ? `pooltoy demo: metrics at ${observer.url}metrics`
        : 'pooltoy demo: npm install prom-client for /metrics',
    );
    console.log('pooltoy demo: Ctrl-C to stop');
    const reason = await stopWatch.requested;
    console.log(`pooltoy demo: stopping (${reason})`);
  } finally {
    // Clients first, so nothing new arrives; then the observer; then the tree, which stops every worker.
    stopWatch.cancel();
    await chaos?.stop();
    const loadStopped = load?.stop();
    await observer?.close();
    metrics?.stop();
    const report = await toy.stop();
    await loadStopped;
    const killed = report.pools.flatMap((pool) => pool.killed);
    if (load) {
      const failed = [...load.failed].map(([code, count]) => `${count} ${code}`).join(', ') || 'none';
      console.log(
        `pooltoy demo: served ${load.served} requests; failed: ${failed}${chaos ? `; chaos killed ${chaos.kills} workers, ended ${chaos.terminations} backends` : ''}`,
      );
    }
    if (observer) console.log(`pooltoy demo: stopped${killed.length > 0 ? ` (had to kill ${killed.join(', ')})` : ''}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
