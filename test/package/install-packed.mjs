// CI: pack the package as `npm publish` would (prepack builds it), install the tarball into empty projects beside
// each supported ioredis major (with prom-client and pg), and run a cluster smoke there against the local Redis.
// Needs the npm registry. Usage: node test/package/install-packed.mjs [ioredis majors, default "5 6"]
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const majors = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['5', '6'];
const scratch = mkdtempSync(join(tmpdir(), 'pooltoy-packed-'));
const run = (command, args, cwd) => execFileSync(command, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });

try {
  run('npm', ['pack', '--silent', '--pack-destination', scratch], root);
  const tarball = join(
    scratch,
    readdirSync(scratch).find((name) => name.endsWith('.tgz')),
  );
  for (const major of majors) {
    const project = join(scratch, `ioredis-${major}`);
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
    console.log(`== npm install <tarball> ioredis@${major} prom-client pg`);
    run('npm', ['install', '--no-audit', '--no-fund', tarball, `ioredis@${major}`, 'prom-client', 'pg'], project);
    copyFileSync(join(root, 'test/package/cluster-smoke.mjs'), join(project, 'cluster-smoke.mjs'));
    run(process.execPath, ['cluster-smoke.mjs'], project);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
