import { describe, expect, it } from 'vitest';
import { RateMeter } from '../../server/jobs/rate-meter.ts';

describe('the outbox sending rate (RateMeter)', () => {
  it('says nothing before five answers, then the rate since the oldest of the last 10 s', () => {
    let now = 50_000;
    const meter = new RateMeter(() => now);
    for (let i = 0; i < 4; i++) meter.count();
    expect(meter.perSecond()).toBeNull();
    // 100 answers a second for 3 s.
    for (let ms = 0; ms < 3000; ms += 10) {
      now += 10;
      meter.count();
    }
    expect(meter.perSecond()).toBeCloseTo(100, -1);
  });

  it('forgets answers older than 10 s, so a new broadcast after a quiet hour starts afresh', () => {
    let now = 1_000_000;
    const meter = new RateMeter(() => now);
    for (let i = 0; i < 500; i++) meter.count();
    expect(meter.perSecond()).not.toBeNull();
    now += 3_600_000;
    expect(meter.perSecond()).toBeNull();
    // Ten answers in the next second read as about ten a second, not ten over ten seconds.
    for (let i = 0; i < 10; i++) {
      now += 100;
      meter.count();
    }
    expect(meter.perSecond()).toBeGreaterThan(8);
    expect(meter.perSecond()).toBeLessThan(12);
  });
});
