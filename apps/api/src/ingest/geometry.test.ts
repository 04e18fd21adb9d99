import { describe, expect, it } from 'vitest';
import { compareSlices, dicomDate, ineligibilityReason, orientationOf, slicePosition } from './geometry.js';

const AXIAL = [1, 0, 0, 0, 1, 0];

describe('slice geometry', () => {
  it('projects ImagePositionPatient on the slice normal', () => {
    expect(slicePosition([-100, -100, 42.5], AXIAL)).toBe(42.5);
    // Coronal (rows along x, columns along −z): the normal is +y.
    expect(slicePosition([0, 7, 50], [1, 0, 0, 0, 0, -1])).toBeCloseTo(7);
    expect(slicePosition(null, AXIAL)).toBeNull();
    expect(slicePosition([0, 0, 1], null)).toBeNull();
  });

  it('names the plane, keeping gantry-tilted axial slices axial', () => {
    const tilt = (deg: number) => [1, 0, 0, 0, Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180)];
    expect(orientationOf(AXIAL)).toBe('AXIAL');
    expect(orientationOf(tilt(25))).toBe('AXIAL');
    expect(orientationOf(tilt(45))).toBe('OBLIQUE');
    expect(orientationOf([1, 0, 0, 0, 0, -1])).toBe('CORONAL');
    expect(orientationOf([0, 1, 0, 0, 0, -1])).toBe('SAGITTAL');
    expect(orientationOf(null)).toBe('');
    expect(orientationOf([0, 0, 0, 0, 0, 0])).toBe('');
  });

  it('orders by position, then InstanceNumber, then UID, unpositioned slices last', () => {
    const s = (uid: string, position: number | null, instanceNumber: number | null = null) => ({
      sopInstanceUid: uid,
      position,
      instanceNumber,
    });
    const sorted = [s('c', 10), s('x', null, 1), s('a', -5), s('b', 10, 1), s('y', null, 2)].sort(compareSlices);
    expect(sorted.map((x) => x.sopInstanceUid)).toEqual(['a', 'b', 'c', 'x', 'y']);
  });

  it('is eligible with one axial CT series and says why not otherwise', () => {
    expect(ineligibilityReason([{ seriesNumber: 1, modality: 'CT', orientation: 'AXIAL' }])).toBeNull();
    expect(
      ineligibilityReason([
        { seriesNumber: 1, modality: 'MR', orientation: 'AXIAL' },
        { seriesNumber: 2, modality: 'CT', orientation: 'CORONAL' },
        { seriesNumber: null, modality: 'CT', orientation: '' },
      ]),
    ).toBe(
      'no axial CT series (series 1: modality is "MR", not CT; series 2: slices are coronal; series ?: slices are of unknown orientation)',
    );
  });

  it('reads DA and TM as UTC', () => {
    expect(dicomDate('20240304', '123456.789')?.toISOString()).toBe('2024-03-04T12:34:56.000Z');
    expect(dicomDate('20240304')?.toISOString()).toBe('2024-03-04T00:00:00.000Z');
    expect(dicomDate('2024-03-04')).toBeNull();
    expect(dicomDate('')).toBeNull();
  });
});
