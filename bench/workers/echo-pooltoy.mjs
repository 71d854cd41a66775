// The echo task for PoolToy's thread and process workers; `holdMs` makes a call last that long, `pid` answers with
// the worker's process id (the recovery suite).
import { serve } from 'pooltoy/worker';

serve((payload) => {
  if (payload?.holdMs) return new Promise((resolve) => setTimeout(() => resolve(process.pid), payload.holdMs));
  return payload?.pid ? process.pid : payload;
});
