// The doc test: every ```js block of README.md and docs/*.md (docs/api/ is generated, not written) runs as
// pasted and exits 0 on its own, printing what its `console.log(x); // value` lines claim; every fragment
// type-checks against the built package. Programs that talk to PostgreSQL or Redis are skipped with a message
// when the local service is missing, and fail in CI. `npm test` builds the package first.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type DocBlock, extractDocBlocks } from './fixtures/doc-blocks.js';
import { typecheckFragments } from './fixtures/doc-fragments.js';
import {
  blockFile,
  concurrencyLimit,
  judgeRun,
  nodeOf,
  repoRoot,
  runProgram,
  scratchFolder,
  servicesOf,
  writeBlocks,
} from './fixtures/doc-programs.js';
import { hasPostgres } from './fixtures/local-postgres.js';
import { hasRedis } from './fixtures/local-redis.js';

/** How long a program may take; a cluster limit's first use of a key pauses for its lease TTL (10 s). */
const PROGRAM_BOUND_MS = 40_000;
const isCi = process.env.CI === 'true';
const slot = concurrencyLimit(3);

const documents = ['README.md', ...readdirSync(join(repoRoot, 'docs')).filter((name) => name.endsWith('.md'))].map(
  (name) => (name === 'README.md' ? name : `docs/${name}`),
);

if (!existsSync(join(repoRoot, 'dist/index.d.ts'))) {
  throw new Error('the doc test needs the built package: run `npm run build` (npm test does)');
}

function missingService(block: DocBlock): string | undefined {
  for (const service of servicesOf(block.code)) {
    if (service === 'postgres' && !hasPostgres) return 'PostgreSQL at 127.0.0.1:5432 (PGHOST/PGUSER/PGDATABASE)';
    if (service === 'redis' && !hasRedis) return 'Redis at 127.0.0.1:6379';
  }
  return undefined;
}

const documentBlocks = documents.map((doc) => {
  const blocks = extractDocBlocks(readFileSync(join(repoRoot, doc), 'utf8'), doc);
  const folder = scratchFolder(doc);
  writeBlocks(folder, blocks);
  return { doc, blocks, folder };
});

// One type-check of every fragment of every document (a TypeScript program per document would cost seconds each).
let fragmentProblems: Map<DocBlock, string[]> | undefined;
function fragmentProblemsOf(block: DocBlock): string[] {
  fragmentProblems ??= typecheckFragments(
    documentBlocks.flatMap(({ blocks, folder }) =>
      blocks.filter((each) => each.role === 'fragment').map((each) => ({ block: each, folder })),
    ),
  );
  return fragmentProblems.get(block) ?? [];
}

for (const { doc, blocks, folder } of documentBlocks) {
  if (blocks.length === 0) continue;

  describe(doc, () => {
    for (const block of blocks.filter((each) => each.role === 'program')) {
      const needs = block.nodeMajor > 20 ? ` on Node ${block.nodeMajor}` : '';
      it.concurrent(
        `${doc}:${block.line} runs as pasted${needs}, exits 0 and prints what it claims`,
        async (context) => {
          const missing = missingService(block);
          if (missing) {
            if (isCi) throw new Error(`${doc}:${block.line} needs ${missing}, and CI must run every example`);
            console.warn(`skipping ${doc}:${block.line}: it needs ${missing}`);
            return context.skip();
          }
          const major = Math.max(block.nodeMajor, block.language === 'ts' ? 24 : 20);
          const nodePath = await nodeOf(major);
          if (!nodePath) {
            if (isCi) throw new Error(`${doc}:${block.line} needs Node ${major} (npx -p node@${major}), not available`);
            console.warn(`skipping ${doc}:${block.line}: Node ${major} is not available through npx`);
            return context.skip();
          }
          const free = await slot();
          try {
            const run = await runProgram(folder, blockFile(block), nodePath, PROGRAM_BOUND_MS);
            const problems = judgeRun(block, run, PROGRAM_BOUND_MS);
            if (block.knownFailure && problems.length > 0) {
              // Reported, not failed, until the fix it waits for lands; then the marker comes off the document.
              // One line, the error's: a known failure is reported, not dumped with its stack.
              const lines = problems.join('\n').split('\n');
              const error = lines.find((line) => /^\w*Error\b.*:/.test(line)) ?? lines[0];
              console.warn(`known failure ${doc}:${block.line} (${block.knownFailure}): ${error}`);
              return context.skip();
            }
            expect(problems, `${doc}:${block.line}`).toEqual([]);
          } finally {
            free();
          }
        },
        4 * PROGRAM_BOUND_MS,
      );
    }

    for (const module of blocks.filter((each) => each.role === 'module')) {
      it(`${doc}:${module.line} (${module.fileName}) is a module that one of the document's programs uses`, () => {
        const users = blocks.filter((each) => each.role === 'program' && each.code.includes(`./${module.fileName}`));
        expect(users.length, `no program of ${doc} imports or starts ./${module.fileName}`).toBeGreaterThan(0);
      });
    }

    for (const block of blocks.filter((each) => each.role === 'fragment')) {
      it(`${doc}:${block.line} is a fragment that type-checks against the built package`, () => {
        expect(fragmentProblemsOf(block)).toEqual([]);
      }, 60_000);
    }
  });
}

describe('links', () => {
  it.each(documents)('%s links only to files in this repository that exist', (doc) => {
    // Code (fenced or inline) is not prose: `methods[method](...args)` is no link.
    const text = readFileSync(join(repoRoot, doc), 'utf8')
      .replace(/^```[\s\S]*?^```/gm, '')
      .replace(/`[^`\n]*`/g, '');
    const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]!);
    // docs/api/ is generated by TypeDoc (another step than the tests), so links into it are not checked here.
    const local = targets
      .filter((target) => !/^([a-z]+:|#)/.test(target))
      .map((target) => target.split('#')[0]!)
      .filter((target) => !resolve(dirname(join(repoRoot, doc)), target).startsWith(join(repoRoot, 'docs/api')));
    const missing = local.filter(
      (target) =>
        !resolve(dirname(join(repoRoot, doc)), target).startsWith(repoRoot) ||
        !existsSync(resolve(dirname(join(repoRoot, doc)), target)),
    );
    expect(missing).toEqual([]);
  });
});

describe('README.md and docs/benchmarks.md', () => {
  it("quote the same speed figures: every ratio README's speed section gives is in a table of docs/benchmarks.md", () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Speed and reliability'), readme.indexOf('## Many pools'));
    const benchmarks = readFileSync(join(repoRoot, 'docs/benchmarks.md'), 'utf8');
    // Table cells, as measured: prose there also mentions ranges of earlier runs, which README must not quote.
    const tableCells = new Set(
      benchmarks
        .split('\n')
        .filter((line) => line.startsWith('|'))
        .flatMap((line) => line.match(/\d+(\.\d+)?×/g) ?? []),
    );
    const ratios = section.match(/\d+(\.\d+)?×/g) ?? [];
    expect(ratios.length).toBeGreaterThan(0);
    expect(ratios.filter((ratio) => !tableCells.has(ratio))).toEqual([]);
  });
});
