// A thread worker for the demo: stretches a password with PBKDF2, CPU work that blocks its own thread only.
import { pbkdf2Sync } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import { serve } from 'pooltoy/worker';

serve(({ password, iterations }) => {
  const key = pbkdf2Sync(password, 'pooltoy-demo', iterations, 32, 'sha256');
  return { digest: key.toString('hex'), threadId };
});
