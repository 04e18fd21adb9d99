import { describe, expect, it } from 'vitest';
import { RefusalLimiter } from './refusal-audit.js';

describe('RefusalLimiter', () => {
  it('records at most perAddress a window per address and carries the suppressed count to the next record', () => {
    let now = 0;
    const limiter = new RefusalLimiter({ perAddress: 2, total: 100, windowMs: 1000 }, () => now);
    expect([1, 2, 3, 4, 5].map(() => limiter.admit('10.0.0.1'))).toEqual([
      { record: true, suppressed: 0 },
      { record: true, suppressed: 0 },
      { record: false, suppressed: 0 },
      { record: false, suppressed: 0 },
      { record: false, suppressed: 0 },
    ]);
    // Another address has its own allowance.
    expect(limiter.admit('10.0.0.2')).toEqual({ record: true, suppressed: 0 });
    now = 1000;
    expect(limiter.admit('10.0.0.1')).toEqual({ record: true, suppressed: 3 });
    expect(limiter.admit('10.0.0.1')).toEqual({ record: true, suppressed: 0 });
  });

  it('caps the events of all addresses together', () => {
    let now = 0;
    const limiter = new RefusalLimiter({ perAddress: 10, total: 5, windowMs: 1000 }, () => now);
    const recorded = Array.from({ length: 50 }, (_, i) => limiter.admit(`10.1.0.${i}`)).filter((a) => a.record);
    expect(recorded).toHaveLength(5);
    now = 1000;
    expect(limiter.admit('10.1.0.40')).toEqual({ record: true, suppressed: 1 });
  });
});
