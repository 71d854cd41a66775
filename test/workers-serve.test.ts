// serve() inside a worker, driven by hand: what the pool never sends must not break it.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

const echo = new URL('./fixtures/echo.mjs', import.meta.url);

describe('serve', () => {
  it('ignores garbage from its parent with a warning, and keeps serving', async () => {
    const thread = new Worker(echo, { stderr: true });
    try {
      let stderr = '';
      thread.stderr.on('data', (chunk) => {
        stderr += chunk;
      });
      const messages: unknown[] = [];
      const answered = new Promise<void>((resolve) => {
        thread.on('message', (message) => {
          messages.push(message);
          if (messages.length === 2) resolve();
        });
      });
      thread.postMessage('not an envelope');
      thread.postMessage([4, 'hand#1']); // hello: the id, then init, then ready
      thread.postMessage([0, 1, { op: 'workerId' }]);
      await answered;
      expect(messages).toEqual([[10], [11, 1, 'hand#1']]);
      expect(stderr).toMatch(/ERR_WORKER_PROTOCOL|broke the protocol/);
    } finally {
      await thread.terminate();
    }
  });

  it('throws NotInWorkerError outside a worker', async () => {
    const child = spawn(
      process.execPath,
      ['--input-type=module', '-e', "import { serve } from 'pooltoy/worker'; serve(() => 1);"],
      // From the package root, so that `pooltoy/worker` resolves through the package's own exports.
      { stdio: ['ignore', 'ignore', 'pipe'], cwd: fileURLToPath(new URL('..', import.meta.url)) },
    );
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const [code] = await once(child, 'close');
    expect(code).toBe(1);
    expect(stderr).toMatch(/ERR_NOT_IN_WORKER/);
  });
});
