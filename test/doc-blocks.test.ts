// The doc test's own parts, on sample documents: it must be able to fail, or it proves nothing about the docs.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkClaims, claimMatches, extractDocBlocks, outputClaims } from './fixtures/doc-blocks.js';
import { typecheckFragments } from './fixtures/doc-fragments.js';
import { blockFile, judgeRun, runProgram, scratchFolder, servicesOf, writeBlocks } from './fixtures/doc-programs.js';

const fence = '```';
const sample = [
  '# Sample',
  '',
  `${fence}js`,
  '// double.mjs',
  'export const double = (n) => n * 2;',
  fence,
  '',
  `${fence}js`,
  "import { double } from './double.mjs';",
  'console.log(double(21)); // 42',
  'console.log([double(1), double(2)]); // [2, 4]',
  'console.log(double(2)); // 5',
  fence,
  '',
  '<!-- doc-test context: declare const pool: import("pooltoy").Pool<unknown>; -->',
  `${fence}js fragment`,
  'await pool.checkout();',
  'pool.chekout();',
  fence,
  '',
  `${fence}js node>=24`,
  'await using x = null;',
  fence,
  '',
  '<!-- doc-test known-failure: waits for a fix -->',
  `${fence}js`,
  'setInterval(() => {}, 1000);',
  fence,
  '',
  `${fence}sh`,
  'npm test',
  fence,
].join('\n');

describe('extracting blocks', () => {
  const blocks = extractDocBlocks(sample, 'sample.md');

  it('reads modules, programs, fragments, the Node a block needs and known failures; other languages are prose', () => {
    expect(blocks.map(({ line, role, fileName, nodeMajor }) => ({ line, role, fileName, nodeMajor }))).toEqual([
      { line: 3, role: 'module', fileName: 'double.mjs', nodeMajor: 20 },
      { line: 8, role: 'program', fileName: undefined, nodeMajor: 20 },
      { line: 16, role: 'fragment', fileName: undefined, nodeMajor: 20 },
      { line: 21, role: 'program', fileName: undefined, nodeMajor: 24 },
      { line: 26, role: 'program', fileName: undefined, nodeMajor: 20 },
    ]);
    expect(blocks[2]!.context).toBe('declare const pool: import("pooltoy").Pool<unknown>;');
    expect(blocks[4]!.knownFailure).toBe('waits for a fix');
  });

  it('refuses an unknown flag, a block never closed, and JavaScript fenced under another name', () => {
    expect(() => extractDocBlocks(`${fence}js fragmnet\nx\n${fence}\n`, 'bad.md')).toThrow(/unknown code block flag/);
    expect(() => extractDocBlocks(`${fence}js\nx\n`, 'bad.md')).toThrow(/never closed/);
    expect(() => extractDocBlocks(`${fence}javascript\nx\n${fence}\n`, 'bad.md')).toThrow(/fence JavaScript as js/);
  });
});

describe('output claims', () => {
  it('are console.log lines with a trailing comment', () => {
    expect(outputClaims(extractDocBlocks(sample, 'sample.md')[1]!.code)).toEqual([
      { line: 2, expected: '42' },
      { line: 3, expected: '[2, 4]' },
      { line: 4, expected: '5' },
    ]);
  });

  it('match printed values whatever their layout and quotes, with … for anything', () => {
    expect(claimMatches('[2, 4]', '[ 2, 4 ]')).toBe(true);
    expect(claimMatches("['db', 'fib']", "[ 'db', 'fib' ]")).toBe(true);
    expect(claimMatches('observer: http://127.0.0.1:…/#token=…', 'observer: http://127.0.0.1:4000/#token=abc')).toBe(
      true,
    );
    expect(claimMatches('42', '420')).toBe(false);
  });

  it('report a wrong value and a line that printed nothing', () => {
    const claims = [
      { line: 1, expected: '42' },
      { line: 2, expected: '7' },
    ];
    expect(checkClaims(claims, new Map([[1, ['41']]]))).toEqual([
      'line 1 claims "42" but printed "41"',
      'line 2 claims "7" but printed nothing',
    ]);
  });
});

describe('running a sample document', () => {
  const blocks = extractDocBlocks(sample, 'sample.md');
  const folder = scratchFolder('sample-doc');
  writeBlocks(folder, blocks);

  it('catches a program whose output disagrees with its claim, beside the claims that hold', async () => {
    const program = blocks[1]!;
    const run = await runProgram(folder, blockFile(program), process.execPath, 20_000);
    expect(run.exitCode).toBe(0);
    expect(judgeRun(program, run, 20_000)).toEqual(['line 4 claims "5" but printed "4"']);
  });

  it('catches a program that does not exit on its own', async () => {
    const hanging = blocks[4]!;
    const run = await runProgram(folder, blockFile(hanging), process.execPath, 1000);
    expect(judgeRun(hanging, run, 1000)[0]).toMatch(/did not exit on its own within 1000 ms/);
  });

  it('catches a program that exits without stopping its pool', async () => {
    const program =
      "import { createPool, resourceWorker } from 'pooltoy';\n" +
      "await createPool({ name: 'forgotten', size: 1, worker: resourceWorker({ create: () => ({}) }) });\n";
    writeFileSync(join(folder, 'forgets-stop.mjs'), program);
    const run = await runProgram(folder, 'forgets-stop.mjs', process.execPath, 20_000);
    expect(judgeRun({ ...blocks[1]!, code: program }, run, 20_000)).toEqual([
      'exited without stopping pool "forgotten"',
    ]);
  });

  it('catches a program that throws', async () => {
    writeFileSync(join(folder, 'throws.mjs'), "throw new Error('boom');\n");
    const run = await runProgram(folder, 'throws.mjs', process.execPath, 20_000);
    expect(judgeRun(blocks[1]!, run, 20_000)[0]).toMatch(/exited with 1;[\s\S]*boom/);
  });

  it('catches a fragment that names a method the package does not have', () => {
    const fragment = blocks[2]!;
    const problems = typecheckFragments([{ block: fragment, folder }]).get(fragment);
    expect(problems).toHaveLength(1);
    expect(problems![0]).toMatch(/^sample\.md:18: Property 'chekout' does not exist on type 'Pool<unknown>'/);
  });

  it('knows which services a program needs from what it imports', () => {
    expect(servicesOf("import pg from 'pg';\nimport { Redis } from 'ioredis';")).toEqual(['postgres', 'redis']);
    expect(servicesOf("import { withClusterLimit } from 'pooltoy/cluster';")).toEqual(['redis']);
    expect(servicesOf("import { createPool } from 'pooltoy';")).toEqual([]);
  });
});
