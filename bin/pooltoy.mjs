#!/usr/bin/env node
// The `pooltoy` command. One subcommand for now: `pooltoy demo` runs the demo that `npm start` runs.

const commands = {
  demo: async (args) => (await import('../demo/demo.mjs')).main(args),
};

const [command, ...args] = process.argv.slice(2);
const run = commands[command];
if (run === undefined) {
  console.error(
    `usage: pooltoy <command>\n  demo   three pools under load, and the web observer (pooltoy demo --help)`,
  );
  process.exitCode = command === undefined || command === '--help' || command === '-h' ? 0 : 2;
} else {
  await run(args);
}
