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

  it('slides its window: a restart periodMs old no longer counts', () => {
    const clock = new ManualClock();
    const intensity = new RestartIntensity({ maxRestarts: 2, periodMs: 1000, clock });
    intensity.record(); // at 0
    clock.advance(500);
    intensity.record(); // at 500
    clock.advance(500);
    expect(intensity.recentRestarts).toBe(1);
    expect(intensity.record()).toBe(true); // at 1000: the one at 0 has left the window
    clock.advance(499);
    expect(intensity.record()).toBe(false); // at 1499: 500, 1000 and 1499 are within 1000ms
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
