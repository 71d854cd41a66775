// What `npm pack` puts in the tarball: everything a user is pointed to (the exports, the bin, LICENSE, CHANGELOG,
// the examples and docs the README links), and nothing of the repository's own (tests, sources, benchmarks, CI).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const manifest = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
  exports: Record<string, string | Record<string, string>>;
  bin: Record<string, string>;
};

/** The tarball's file list, as `npm pack --dry-run` reports it (the build must have run: `npm test` builds first). */
function packedFiles(): Set<string> {
  if (!existsSync(`${root}dist/index.js`)) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
  const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [report] = JSON.parse(output) as [{ files: { path: string }[] }];
  return new Set(report.files.map((file) => file.path));
}

const files = packedFiles();
const normalize = (path: string) => path.replace(/^\.\//, '');

describe('the npm package', () => {
  it('holds every entry point the exports map and bin name, with its types', () => {
    const targets = Object.values(manifest.exports).flatMap((target) =>
      typeof target === 'string' ? [target] : Object.values(target),
    );
    for (const target of [...targets, ...Object.values(manifest.bin)]) expect(files).toContain(normalize(target));
    expect(targets.filter((target) => target.endsWith('.d.ts')).length).toBeGreaterThanOrEqual(4);
  });

  it('holds LICENSE, CHANGELOG.md, README.md and the observer page', () => {
    for (const path of ['LICENSE', 'CHANGELOG.md', 'README.md', 'package.json', 'dist/observer/page/index.html']) {
      expect(files).toContain(path);
    }
  });

  it('holds every example, and every file the README points to', () => {
    for (const example of readdirSync(`${root}examples`)) expect(files).toContain(`examples/${example}`);
    const readme = readFileSync(`${root}README.md`, 'utf8');
    const pointedTo = new Set<string>();
    // Markdown links and images to files of the repository, and paths in code such as 'examples/python-worker.py'.
    for (const [, path] of readme.matchAll(/\]\((?!https?:|#)([^)#\s]+)/g)) pointedTo.add(path!);
    for (const [path] of readme.matchAll(/\b(?:examples|docs)\/[\w./-]+\.\w+/g)) pointedTo.add(path);
    expect(pointedTo.size).toBeGreaterThan(3);
    for (const path of pointedTo) expect(files, `README points to ${path}`).toContain(normalize(path));
  });

  it('holds an API reference page for every entry point the exports map names', () => {
    for (const entry of Object.keys(manifest.exports).filter((entry) => entry !== './package.json')) {
      expect(files).toContain(`docs/api/${entry === '.' ? 'pooltoy' : entry.replace('./', 'pooltoy/')}.md`);
    }
  });

  it('leaves out tests, sources, benchmarks, CI and tool configuration', () => {
    const repositoryOnly =
      /^(test|src|bench|\.ci|node_modules|coverage)\/|\.test\.|^tsconfig|^biome|^vitest|lock\.json$|\.tgz$/;
    const leaked = [...files].filter((path) => repositoryOnly.test(path));
    expect(leaked).toEqual([]);
  });
});
