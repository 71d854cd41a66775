// The raw worker_threads floor's worker: answers `{ id, payload }` with `{ id, result }`, nothing else.
import { parentPort } from 'node:worker_threads';

parentPort.on('message', ({ id, payload }) => parentPort.postMessage({ id, result: payload }));
