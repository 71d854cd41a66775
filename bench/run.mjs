// `npm run bench [-- --quick] [-- --out file.md] [-- suite…]`: runs the suites one after the other in this process
// and prints their tables as markdown, headed by the machine, the Node version and the date, and ending with every
// target and whether it holds. Progress goes to stderr, so stdout is the report alone.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, freemem, loadavg, release, totalmem, type } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatNumber, markdownTable } from './rounds.mjs';

const suites = {
  resource: './resource-checkout.mjs',
  threads: './thread-tasks.mjs',
  processes: './process-tasks.mjs',
  recovery: './recovery.mjs',
  growth: './growth.mjs',
  memory: './memory.mjs',
  pg: './pg-queries.mjs',
};
// Suites are also known by their letter in docs/benchmarks.md.
const letters = { G: 'pg' };

const args = process.argv.slice(2);
if (!globalThis.gc) {
  // Rounds collect the previous round's garbage first, and the memory suite measures after a collection.
  const child = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), ...args], {
    stdio: 'inherit',
  });
  process.exit(child.status ?? 1);
}

const isQuick = args.includes('--quick');
const outIndex = args.indexOf('--out');
const outFile = outIndex >= 0 ? args[outIndex + 1] : undefined;
const named = args
  .filter((arg, index) => !arg.startsWith('--') && (outIndex < 0 || index !== outIndex + 1))
  .map((name) => letters[name] ?? name);
const unknown = named.filter((name) => !(name in suites));
if (unknown.length > 0) {
  process.stderr.write(`unknown suite ${unknown.join(', ')}; expected some of: ${Object.keys(suites).join(', ')}\n`);
  process.exit(2);
}
const chosen = named.length > 0 ? named : Object.keys(suites);

const lines = [];
const print = (text = '') => {
  lines.push(text);
  process.stdout.write(`${text}\n`);
};
const log = (message) => process.stderr.write(`  ${message}\n`);

const cpu = cpus();
print(`# PoolToy benchmarks — ${isQuick ? 'quick smoke run (numbers not meaningful)' : 'full run'}`);
print();
print(`- Date: ${new Date().toISOString()}`);
print(`- Machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${gib(totalmem())} GiB RAM`);
print(
  `- OS: ${type()} ${release()}; load average at start ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
print(`- Node ${process.version}; free memory at start ${gib(freemem())} GiB`);
print(`- Anchors: ${anchorVersions()}`);
print(`- Suites: ${chosen.join(', ')}`);

const targets = [];
for (const name of chosen) {
  process.stderr.write(`${name}\n`);
  const suite = await import(suites[name]);
  const report = await suite.run({ quick: isQuick, log });
  print();
  print(`## ${report.title}`);
  for (const section of report.sections) {
    print();
    print(`### ${section.heading}`);
    print();
    print(section.table);
    if (section.note) {
      print();
      print(section.note);
    }
  }
  targets.push(...report.targets);
}

print();
print('## Targets');
print();
print(
  markdownTable(
    ['target', 'measured', 'status', 'note'],
    targets.map((t) => [t.name, Number.isFinite(t.measured) ? formatNumber(t.measured, 2) : '—', t.status, t.note]),
  ),
);
if (outFile) writeFileSync(outFile, `${lines.join('\n')}\n`);

function gib(bytes) {
  return (bytes / 2 ** 30).toFixed(1);
}

function anchorVersions() {
  const names = ['generic-pool', 'tarn', 'piscina', 'tinypool', 'workerpool', 'poolifier', 'pg', 'postgres'];
  const require = createRequire(import.meta.url);
  return names
    .map((name) => {
      try {
        // Some anchors do not export their package.json: find it from the resolved entry instead.
        let directory = dirname(require.resolve(name));
        while (!directory.endsWith(join('node_modules', name))) directory = dirname(directory);
        return `${name} ${JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')).version}`;
      } catch {
        return `${name} (missing)`;
      }
    })
    .join(', ');
}
