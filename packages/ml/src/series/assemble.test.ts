import { describe, expect, it } from 'vitest';
import { assembleSeries, type SliceGeometry } from './assemble.js';

const AXIAL = [1, 0, 0, 0, 1, 0] as const;

function slice(uid: string, z: number | null, extra: Partial<SliceGeometry> = {}): SliceGeometry {
  return {
    seriesInstanceUid: 'S1',
    sopInstanceUid: uid,
    instanceNumber: null,
    rows: 512,
    columns: 512,
    imagePositionPatient: z === null ? null : [-100, -100, z],
    imageOrientationPatient: AXIAL,
    ...extra,
  };
}

describe('assembleSeries', () => {
  it('orders by position along the slice normal, not by InstanceNumber or arrival', () => {
    // Instance numbers run head to feet (the reverse of z); arrival order is shuffled.
    const input = [
      slice('c', 10, { instanceNumber: 1 }),
      slice('a', 0, { instanceNumber: 3 }),
      slice('b', 5, { instanceNumber: 2 }),
    ];
    const [series] = assembleSeries(input);
    expect(series?.slices.map((s) => s.sopInstanceUid)).toEqual(['a', 'b', 'c']);
    expect(series?.positions).toEqual([0, 5, 10]);
    expect(series?.spacing).toBe(5);
    expect(series?.issues).toEqual([]);
  });

  it('projects on the normal of tilted (gantry-tilt-free but oblique) orientations', () => {
    // Coronal: rows along x, columns along −z, so the normal is +y (LPS: towards posterior).
    const coronal = [1, 0, 0, 0, 0, -1] as const;
    const input = [2, 0, 1].map((k) =>
      slice(`y${k}`, null, { imagePositionPatient: [0, 3 * k, 50], imageOrientationPatient: coronal }),
    );
    expect(assembleSeries(input)[0]?.slices.map((s) => s.sopInstanceUid)).toEqual(['y0', 'y1', 'y2']);
  });

  it('groups by SeriesInstanceUID', () => {
    const input = [slice('a', 0), slice('x', 0, { seriesInstanceUid: 'S2' }), slice('b', 5)];
    const result = assembleSeries(input);
    expect(result.map((s) => [s.seriesInstanceUid, s.slices.length])).toEqual([
      ['S1', 2],
      ['S2', 1],
    ]);
  });

  it('reports duplicates, gaps, mixed orientation, mixed size and missing positions', () => {
    const input = [
      slice('a', 0),
      slice('a', 0),
      slice('b', 5),
      slice('b2', 5),
      slice('c', 10),
      slice('d', 30),
      slice('e', 35, { imageOrientationPatient: [0, 1, 0, 0, 0, -1] }),
      slice('f', 40, { rows: 256 }),
      slice('g', null, { instanceNumber: 99 }),
    ];
    const [series] = assembleSeries(input);
    const kinds = Object.fromEntries((series?.issues ?? []).map((i) => [i.kind, i.sopInstanceUids]));
    expect(kinds['duplicate-instance']).toEqual(['a']);
    expect(kinds['duplicate-position']).toHaveLength(1);
    expect(kinds.gap).toEqual(['d']);
    expect(kinds['mixed-orientation']).toEqual(['e']);
    expect(kinds['mixed-size']).toEqual(['f']);
    expect(kinds['missing-position']).toEqual(['g']);
    // Unpositioned slices go last; the duplicate instance is kept once.
    expect(series?.slices.at(-1)?.sopInstanceUid).toBe('g');
    expect(series?.slices.filter((s) => s.sopInstanceUid === 'a')).toHaveLength(1);
  });

  it('falls back to InstanceNumber when no slice has a position', () => {
    const input = [3, 1, 2].map((n) => slice(`i${n}`, null, { instanceNumber: n, imageOrientationPatient: null }));
    const [series] = assembleSeries(input);
    expect(series?.slices.map((s) => s.instanceNumber)).toEqual([1, 2, 3]);
    expect(series?.spacing).toBeNull();
  });
});
