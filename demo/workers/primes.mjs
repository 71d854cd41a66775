// A process worker for the demo: counts the primes in a range by trial division, real CPU work of tens of ms.
import { serve } from 'pooltoy/worker';

// Ctrl-C in a terminal signals the whole process group: the pool, not the terminal, decides when a worker ends
// (it sends SIGTERM while the demo shuts down), so the keypress must not kill workers under the pool's feet.
process.on('SIGINT', () => {});

function isPrime(n) {
  if (n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let divisor = 3; divisor * divisor <= n; divisor += 2) if (n % divisor === 0) return false;
  return true;
}

serve(({ from, count }) => {
  let primes = 0;
  let largest = 0;
  for (let n = from; n < from + count; n++) {
    if (isPrime(n)) {
      primes++;
      largest = n;
    }
  }
  return { from, count, primes, largest, pid: process.pid };
});
