// The raw child_process.fork floor's worker: answers `{ id, payload }` with `{ id, result }`; `holdMs` makes a
// call last that long (the recovery suite kills a worker mid-call).
process.on('message', ({ id, payload }) => {
  if (payload?.holdMs) setTimeout(() => process.send({ id, result: process.pid }), payload.holdMs);
  else process.send({ id, result: payload?.pid ? process.pid : payload });
});
