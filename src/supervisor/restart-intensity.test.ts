import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { InvalidArgumentError } from '../errors.js';
import { RestartIntensity } from './restart-intensity.js';

describe('record', () => {
  it('allows maxRestarts restarts within periodMs and refuses the next one', () => {
    const intensity = new RestartIntensity({ maxRestarts: 3, periodMs: 5000, clock: new ManualClock() });
    expect([intensity.record(), intensity.record(), intensity.record()]).toEqual([true, true, true]);
    expect(intensity.record()).toBe(false);
  });

  it('slides its window: a restart more than periodMs old no longer counts', () => {
    const clock = new ManualClock();
    const intensity = new RestartIntensity({ maxRestarts: 2, periodMs: 1000, clock });
    intensity.record(); // at 0
    clock.advance(500);
    intensity.record(); // at 500
    clock.advance(501);
    expect(intensity.recentRestarts).toBe(1);
    expect(intensity.record()).toBe(true); // at 1001: the one at 0 has left the window
    clock.advance(499);
    expect(intensity.record()).toBe(false); // at 1500: 500, 1001 and 1500 are within 1000ms
  });

  it('still counts a restart exactly periodMs old, as OTP and Elixir do, and forgets it 1 ms later', () => {
    const clock = new ManualClock();
    const atEdge = new RestartIntensity({ maxRestarts: 1, periodMs: 1000, clock });
    const pastEdge = new RestartIntensity({ maxRestarts: 1, periodMs: 1000, clock });
    atEdge.record(); // at 0
    pastEdge.record(); // at 0
    clock.advance(1000);
    expect(atEdge.recentRestarts).toBe(1);
    expect(atEdge.record()).toBe(false); // at 1000: 0 and 1000 are both in [0, 1000]
    clock.advance(1);
    expect(pastEdge.recentRestarts).toBe(0);
    expect(pastEdge.record()).toBe(true); // at 1001: the window is [1, 1001]
  });

  it('answers as a plain list of restart times would, over many restarts at uneven intervals', () => {
    const clock = new ManualClock();
    const maxRestarts = 7;
    const periodMs = 100;
    const intensity = new RestartIntensity({ maxRestarts, periodMs, clock });
    let times: number[] = [];
    let seed = 12345;
    for (let restart = 0; restart < 5000; restart++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31; // a fixed pseudo-random sequence, the same every run
      clock.advance(seed % 40);
      const now = clock.now();
      times = [...times.filter((time) => now - time <= periodMs), now];
      expect(intensity.record()).toBe(times.length <= maxRestarts);
      expect(intensity.recentRestarts).toBe(Math.min(times.length, maxRestarts + 1));
    }
  });

  it('allows maxRestarts: 20000 restarts at once and refuses the next one', () => {
    const intensity = new RestartIntensity({ maxRestarts: 20000, periodMs: 1000, clock: new ManualClock() });
    let allowed = 0;
    while (intensity.record()) allowed++;
    expect(allowed).toBe(20000);
    expect(intensity.recentRestarts).toBe(20001);
  });

  it('refuses every restart when maxRestarts is 0', () => {
    expect(new RestartIntensity({ maxRestarts: 0, clock: new ManualClock() }).record()).toBe(false);
  });

  it('defaults to 3 restarts in 5000ms', () => {
    const intensity = new RestartIntensity({ clock: new ManualClock() });
    expect([intensity.maxRestarts, intensity.periodMs]).toEqual([3, 5000]);
  });
});

describe('constructor', () => {
  it('rejects a negative or fractional maxRestarts and a non-positive periodMs with typed errors', () => {
    expect(() => new RestartIntensity({ maxRestarts: 1.5 })).toThrow(InvalidArgumentError);
    expect(() => new RestartIntensity({ periodMs: 0 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', argument: 'periodMs', got: 0 }),
    );
  });
});
