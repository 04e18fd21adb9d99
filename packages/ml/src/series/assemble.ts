/** What series assembly needs from each slice; callers keep their own payload in T. */
export interface SliceGeometry {
  readonly seriesInstanceUid: string;
  readonly sopInstanceUid: string;
  readonly instanceNumber: number | null;
  readonly rows: number;
  readonly columns: number;
  readonly imagePositionPatient: readonly [number, number, number] | null;
  readonly imageOrientationPatient: readonly number[] | null;
}

export type SeriesIssueKind =
  | 'duplicate-instance'
  | 'duplicate-position'
  | 'gap'
  | 'mixed-orientation'
  | 'mixed-size'
  | 'missing-position';

export interface SeriesIssue {
  readonly kind: SeriesIssueKind;
  readonly message: string;
  readonly sopInstanceUids: readonly string[];
}

export interface AssembledSeries<T extends SliceGeometry> {
  readonly seriesInstanceUid: string;
  /** Slices in anatomical order (ascending along the slice normal), duplicates of a SOPInstanceUID removed. */
  readonly slices: readonly T[];
  /** Position of each slice along the slice normal in mm (null where unknown). */
  readonly positions: readonly (number | null)[];
  /** Median distance between neighbouring slices in mm, null when fewer than two positioned slices. */
  readonly spacing: number | null;
  readonly issues: readonly SeriesIssue[];
}

/** Orientation cosines closer than this are the same plane (DICOM writers round to ~6 decimals). */
const ORIENTATION_TOLERANCE = 1e-3;
/** Two slices closer than this along the normal are duplicates of the same position (mm). */
const SAME_POSITION_MM = 1e-3;
/** A step larger than this many median steps is a gap (missing slices). */
const GAP_FACTOR = 1.5;

/**
 * Groups slices by SeriesInstanceUID and orders each series by the projection of ImagePositionPatient on the slice
 * normal (row cosines × column cosines), then InstanceNumber. InstanceNumber alone is not trustworthy: scanners
 * number in acquisition order, which can run head-to-feet or the reverse. Problems are reported, not fixed.
 */
export function assembleSeries<T extends SliceGeometry>(slices: readonly T[]): AssembledSeries<T>[] {
  const groups = new Map<string, T[]>();
  for (const s of slices) {
    const g = groups.get(s.seriesInstanceUid);
    if (g) g.push(s);
    else groups.set(s.seriesInstanceUid, [s]);
  }
  return [...groups.entries()].map(([uid, members]) => assembleOne(uid, members));
}

function assembleOne<T extends SliceGeometry>(seriesInstanceUid: string, members: T[]): AssembledSeries<T> {
  const issues: SeriesIssue[] = [];
  const seen = new Map<string, T>();
  const duplicates: string[] = [];
  for (const s of members) {
    if (seen.has(s.sopInstanceUid)) duplicates.push(s.sopInstanceUid);
    else seen.set(s.sopInstanceUid, s);
  }
  if (duplicates.length > 0) {
    issues.push({
      kind: 'duplicate-instance',
      message: `${duplicates.length} instance(s) received more than once; kept the first`,
      sopInstanceUids: duplicates,
    });
  }
  const unique = [...seen.values()];

  const reference = unique.find((s) => s.imageOrientationPatient?.length === 6)?.imageOrientationPatient ?? null;
  const normal = reference ? cross(reference) : null;
  const otherPlane = unique.filter(
    (s) => reference && s.imageOrientationPatient && !sameOrientation(s.imageOrientationPatient, reference),
  );
  if (otherPlane.length > 0) {
    issues.push({
      kind: 'mixed-orientation',
      message: `${otherPlane.length} slice(s) lie in a different plane from the rest`,
      sopInstanceUids: otherPlane.map((s) => s.sopInstanceUid),
    });
  }
  const first = unique[0];
  const otherSize = unique.filter((s) => first && (s.rows !== first.rows || s.columns !== first.columns));
  if (otherSize.length > 0) {
    issues.push({
      kind: 'mixed-size',
      message: `${otherSize.length} slice(s) differ from ${first?.rows}×${first?.columns}`,
      sopInstanceUids: otherSize.map((s) => s.sopInstanceUid),
    });
  }
  const unpositioned = unique.filter((s) => !s.imagePositionPatient || !normal);
  if (unpositioned.length > 0) {
    issues.push({
      kind: 'missing-position',
      message: `${unpositioned.length} slice(s) have no ImagePositionPatient/ImageOrientationPatient; ordered by InstanceNumber`,
      sopInstanceUids: unpositioned.map((s) => s.sopInstanceUid),
    });
  }

  const keyed = unique.map((s) => ({
    s,
    z: normal && s.imagePositionPatient ? dot(normal, s.imagePositionPatient) : null,
  }));
  keyed.sort((a, b) => {
    if (a.z !== null && b.z !== null && Math.abs(a.z - b.z) > SAME_POSITION_MM) return a.z - b.z;
    if (a.z === null && b.z !== null) return 1;
    if (a.z !== null && b.z === null) return -1;
    return (
      (a.s.instanceNumber ?? Number.MAX_SAFE_INTEGER) - (b.s.instanceNumber ?? Number.MAX_SAFE_INTEGER) ||
      a.s.sopInstanceUid.localeCompare(b.s.sopInstanceUid)
    );
  });

  const steps: number[] = [];
  const samePosition: string[] = [];
  for (let i = 1; i < keyed.length; i += 1) {
    const a = keyed[i - 1]?.z;
    const b = keyed[i]?.z;
    if (a === null || a === undefined || b === null || b === undefined) continue;
    const step = b - a;
    if (step <= SAME_POSITION_MM) samePosition.push(keyed[i]?.s.sopInstanceUid ?? '');
    else steps.push(step);
  }
  if (samePosition.length > 0) {
    issues.push({
      kind: 'duplicate-position',
      message: `${samePosition.length} slice(s) share a position with another slice`,
      sopInstanceUids: samePosition,
    });
  }
  const spacing = steps.length > 0 ? median(steps) : null;
  if (spacing !== null) {
    const gaps: string[] = [];
    for (let i = 1; i < keyed.length; i += 1) {
      const a = keyed[i - 1]?.z;
      const b = keyed[i]?.z;
      if (a === null || a === undefined || b === null || b === undefined) continue;
      if (b - a > GAP_FACTOR * spacing) gaps.push(keyed[i]?.s.sopInstanceUid ?? '');
    }
    if (gaps.length > 0) {
      issues.push({
        kind: 'gap',
        message: `${gaps.length} gap(s) larger than ${GAP_FACTOR}× the ${round(spacing)} mm slice spacing`,
        sopInstanceUids: gaps,
      });
    }
  }
  return { seriesInstanceUid, slices: keyed.map((k) => k.s), positions: keyed.map((k) => k.z), spacing, issues };
}

function cross(o: readonly number[]): [number, number, number] {
  const [r0 = 0, r1 = 0, r2 = 0, c0 = 0, c1 = 0, c2 = 0] = o;
  return [r1 * c2 - r2 * c1, r2 * c0 - r0 * c2, r0 * c1 - r1 * c0];
}

function dot(a: readonly number[], b: readonly number[]): number {
  return (a[0] ?? 0) * (b[0] ?? 0) + (a[1] ?? 0) * (b[1] ?? 0) + (a[2] ?? 0) * (b[2] ?? 0);
}

function sameOrientation(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => Math.abs(v - (b[i] ?? 0)) < ORIENTATION_TOLERANCE);
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
