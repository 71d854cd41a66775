// CI runs the suite on each tested Node line with that Node first on PATH (POOLTOY_TEST_NODE_MAJOR says which): the
// tests, and the workers and commands they start, must all run on it, or the other lines were never tested.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const expected = process.env.POOLTOY_TEST_NODE_MAJOR;
const major = (version: string) => version.replace(/^v/, '').split('.')[0];

describe.runIf(expected !== undefined)(`the suite on Node ${expected}`, () => {
  it('runs the tests, process workers (process.execPath) and commands by name (PATH) on that Node', () => {
    expect(major(process.version)).toBe(expected);
    expect(major(execFileSync(process.execPath, ['--version'], { encoding: 'utf8' }))).toBe(expected);
    expect(major(execFileSync('node', ['--version'], { encoding: 'utf8' }))).toBe(expected);
  });
});
