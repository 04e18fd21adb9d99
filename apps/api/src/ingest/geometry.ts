import { checkCtEligibility } from '@ich/ml/browser';

export type Orientation = 'AXIAL' | 'CORONAL' | 'SAGITTAL' | 'OBLIQUE' | '';

/**
 * A slice's normal's largest component must be at least this for the slice to count as in that plane. Head CT is
 * often acquired with a gantry tilt of up to ~25–30° from axial (cos 30° ≈ 0.87); anything flatter than 0.8 is
 * an oblique reformat the model was not trained on.
 */
const PLANE_COSINE = 0.8;

/** Slice normal (row cosines × column cosines) or null without a usable ImageOrientationPatient. */
export function sliceNormal(iop: readonly number[] | null): [number, number, number] | null {
  if (iop?.length !== 6 || iop.some((v) => !Number.isFinite(v))) return null;
  const [r0, r1, r2, c0, c1, c2] = iop as [number, number, number, number, number, number];
  const n: [number, number, number] = [r1 * c2 - r2 * c1, r2 * c0 - r0 * c2, r0 * c1 - r1 * c0];
  const length = Math.hypot(...n);
  if (length < 1e-6) return null;
  return [n[0] / length, n[1] / length, n[2] / length];
}

/**
 * Where a slice lies along its normal, in mm: the projection of ImagePositionPatient on the normal. Sorting by it
 * gives anatomical order (feet → head for axial slices in LPS), whatever order the scanner numbered them in.
 */
export function slicePosition(
  ipp: readonly [number, number, number] | null,
  iop: readonly number[] | null,
): number | null {
  const n = sliceNormal(iop);
  if (!n || !ipp) return null;
  return n[0] * ipp[0] + n[1] * ipp[1] + n[2] * ipp[2];
}

/** The anatomical plane of a slice (in LPS: x → sagittal, y → coronal, z → axial). */
export function orientationOf(iop: readonly number[] | null): Orientation {
  const n = sliceNormal(iop);
  if (!n) return '';
  const [x, y, z] = n.map(Math.abs) as [number, number, number];
  const largest = Math.max(x, y, z);
  if (largest < PLANE_COSINE) return 'OBLIQUE';
  if (largest === z) return 'AXIAL';
  return largest === y ? 'CORONAL' : 'SAGITTAL';
}

export interface SeriesSummary {
  seriesNumber: number | null;
  modality: string;
  orientation: string;
}

/**
 * The model reads axial CT only: a study is eligible when at least one series is CT and axial. Otherwise returns
 * the reason shown to users, naming each series and what disqualifies it.
 */
export function ineligibilityReason(series: readonly SeriesSummary[]): string | null {
  const reasons: string[] = [];
  for (const s of series) {
    const ct = checkCtEligibility({ modality: s.modality });
    const name = `series ${s.seriesNumber ?? '?'}`;
    if (!ct.ok) reasons.push(`${name}: ${ct.error.message}`);
    else if (s.orientation !== 'AXIAL')
      reasons.push(`${name}: slices are ${s.orientation ? s.orientation.toLowerCase() : 'of unknown orientation'}`);
    else return null;
  }
  return `no axial CT series (${reasons.join('; ') || 'no series'})`;
}

export interface Orderable {
  position: number | null;
  instanceNumber: number | null;
  sopInstanceUid: string;
}

/** Anatomical order: position along the normal, then InstanceNumber, then UID, so the order is total and stable. */
export function compareSlices(a: Orderable, b: Orderable): number {
  if (a.position !== null && b.position !== null && a.position !== b.position) return a.position - b.position;
  if (a.position === null && b.position !== null) return 1;
  if (a.position !== null && b.position === null) return -1;
  const ai = a.instanceNumber ?? Number.MAX_SAFE_INTEGER;
  const bi = b.instanceNumber ?? Number.MAX_SAFE_INTEGER;
  if (ai !== bi) return ai - bi;
  return a.sopInstanceUid < b.sopInstanceUid ? -1 : a.sopInstanceUid > b.sopInstanceUid ? 1 : 0;
}

/** DICOM DA (+ optional TM) as a UTC instant, or null when absent or malformed. */
export function dicomDate(da: string, tm = ''): Date | null {
  const d = /^(\d{4})(\d{2})(\d{2})$/.exec(da.trim());
  if (!d) return null;
  const t = /^(\d{2})(\d{2})?(\d{2})?/.exec(tm.trim());
  const date = new Date(
    Date.UTC(
      Number(d[1]),
      Number(d[2]) - 1,
      Number(d[3]),
      Number(t?.[1] ?? 0),
      Number(t?.[2] ?? 0),
      Number(t?.[3] ?? 0),
    ),
  );
  return Number.isNaN(date.getTime()) ? null : date;
}
