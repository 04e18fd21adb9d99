import { describe, expect, it } from 'vitest';
import { tfPads } from './tf-padding.js';

describe('tfPads (TensorFlow SAME/VALID)', () => {
  it('pads nothing for VALID', () => {
    expect(tfPads('valid', 299, 3, 2)).toEqual([0, 0]);
  });
  it('centres the padding for odd totals with the extra pixel at the end, like TensorFlow', () => {
    expect(tfPads('same', 35, 3, 1)).toEqual([1, 1]);
    expect(tfPads('same', 17, 7, 1)).toEqual([3, 3]);
    expect(tfPads('same', 8, 3, 2)).toEqual([0, 1]); // out 4: (4-1)*2+3-8 = 1 → all at the end
    expect(tfPads('same', 9, 3, 2)).toEqual([1, 1]);
    expect(tfPads('same', 10, 4, 1)).toEqual([1, 2]);
    expect(tfPads('same', 5, 1, 1)).toEqual([0, 0]);
    expect(tfPads('same', 9, 3, 1, 2)).toEqual([2, 2]); // dilated kernel spans 5
  });
});
