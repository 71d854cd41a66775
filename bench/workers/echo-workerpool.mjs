// The echo task for workerpool (thread and process modes); `holdMs` makes a call last that long, `pid` answers
// with the worker's process id (the recovery suite).
import workerpool from 'workerpool';

workerpool.worker({
  echo: (payload) => {
    if (payload?.holdMs) return new Promise((resolve) => setTimeout(() => resolve(process.pid), payload.holdMs));
    return payload?.pid ? process.pid : payload;
  },
});
