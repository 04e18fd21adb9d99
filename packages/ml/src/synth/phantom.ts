import type { Label } from '../labels.js';
import { createRng, type Rng } from './random.js';

/** The five bleed subtypes (every label but 'any'). */
export type BleedType = Exclude<Label, 'any'>;
export const BLEED_TYPES: readonly BleedType[] = [
  'epidural',
  'intraparenchymal',
  'intraventricular',
  'subarachnoid',
  'subdural',
];

/** One bleed: where it lies in the study and how it looks. Coordinates are normalised to the head outline. */
export interface BleedSpec {
  readonly type: BleedType;
  /** First and last slice index it may cover (its z extent; the labels say where it actually shows). */
  readonly firstSlice: number;
  readonly lastSlice: number;
  /** Angle around the head (radians, 0 = patient left, π/2 = posterior) for extra-axial and SAH bleeds. */
  readonly angle: number;
  /** Angular half-extent (radians) for extra-axial and SAH bleeds. */
  readonly spread: number;
  /** Maximum thickness (fraction of the head radius) for extra-axial bleeds, radius for blobs. */
  readonly size: number;
  /** Centre for intraparenchymal blobs (normalised u, v). */
  readonly centre: readonly [number, number];
  /** Density of the blood in HU (fresh blood is 50–90 HU). */
  readonly hu: number;
}

export interface PhantomSlice {
  /** Hounsfield units, row-major size × size, clamped to [−1000, 3000]. */
  readonly hu: Int16Array;
  /** Pixels of each bleed type in this slice. */
  readonly bleedPixels: Readonly<Record<BleedType, number>>;
}

const INNER_SKULL = 0.87;
const OUTER_SKULL = 0.955;

/** Relative head size at slice fraction t (0 = skull base, 1 = vertex): the cranium is widest a little below mid-height. */
function headScale(t: number): number {
  return Math.sqrt(Math.max(0.05, 1 - ((t - 0.45) / 0.62) ** 2));
}

/** Lateral ventricles appear in the middle of the head and grow towards its centre. */
function ventricleScale(t: number): number {
  const d = Math.abs(t - 0.52) / 0.16;
  return d >= 1 ? 0 : Math.sqrt(1 - d * d);
}

/** Random bleeds of the given types, placed plausibly for a study of `slices` slices. */
export function planBleeds(types: readonly BleedType[], slices: number, rng: Rng): BleedSpec[] {
  // biome-ignore lint/suspicious/useIterableCallbackReturn: the switch below returns for every BleedType
  return types.map((type) => {
    const span = Math.max(2, Math.round(slices * rng.range(0.12, 0.25)));
    // Keep bleeds in the slices where there is brain (and ventricles, for IVH).
    const [lo, hi] = type === 'intraventricular' ? [0.42, 0.6] : [0.25, 0.8];
    const centre = Math.round(slices * rng.range(lo, hi));
    const firstSlice = Math.max(0, centre - (span >> 1));
    const lastSlice = Math.min(slices - 1, firstSlice + span - 1);
    const angle = rng.range(0, 2 * Math.PI);
    const r = rng.range(0.2, 0.5);
    const a = rng.range(0, 2 * Math.PI);
    switch (type) {
      case 'epidural':
        return {
          type,
          firstSlice,
          lastSlice,
          angle,
          spread: rng.range(0.3, 0.5),
          size: rng.range(0.07, 0.11),
          centre: [0, 0],
          hu: Math.round(rng.range(65, 85)),
        };
      case 'subdural':
        return {
          type,
          firstSlice,
          lastSlice,
          angle,
          spread: rng.range(0.8, 1.3),
          size: rng.range(0.03, 0.05),
          centre: [0, 0],
          hu: Math.round(rng.range(55, 75)),
        };
      case 'intraparenchymal':
        return {
          type,
          firstSlice,
          lastSlice,
          angle,
          spread: 0,
          size: rng.range(0.06, 0.12),
          centre: [r * Math.cos(a), r * Math.sin(a)],
          hu: Math.round(rng.range(60, 85)),
        };
      case 'intraventricular':
        return {
          type,
          firstSlice,
          lastSlice,
          angle,
          spread: 0,
          size: rng.range(0.3, 0.6),
          centre: [0, 0],
          hu: Math.round(rng.range(60, 75)),
        };
      case 'subarachnoid':
        return {
          type,
          firstSlice,
          lastSlice,
          angle,
          spread: rng.range(0.8, 1.4),
          size: 0,
          centre: [0, 0],
          hu: Math.round(rng.range(50, 65)),
        };
    }
  });
}

/**
 * Renders slice `index` of a head-CT phantom: air, scalp, a skull ring (~1000–1600 HU), brain with grey/white
 * contrast, sulci and a midline fissure (CSF), lateral ventricles, scanner noise, and the given bleeds. The
 * texture depends only on (seed, index), so re-rendering is exact.
 */
export function renderPhantomSlice(
  size: number,
  index: number,
  slices: number,
  bleeds: readonly BleedSpec[],
  seed: number | string,
): PhantomSlice {
  const rng = createRng(`${seed}:slice:${index}`);
  const texture = createRng(`${seed}:texture`);
  const phases = Array.from({ length: 6 }, () => texture.range(0, 2 * Math.PI));
  const t = (index + 0.5) / slices;
  const s = headScale(t);
  const ax = 0.74 * s;
  const ay = 0.88 * s;
  const vs = ventricleScale(t);
  const hu = new Int16Array(size * size);
  const counts: Record<BleedType, number> = {
    epidural: 0,
    intraparenchymal: 0,
    intraventricular: 0,
    subarachnoid: 0,
    subdural: 0,
  };
  const active = bleeds
    .filter((b) => index >= b.firstSlice && index <= b.lastSlice)
    .map((b) => {
      // Bleeds are thickest in their middle slice and taper towards both ends.
      const mid = (b.firstSlice + b.lastSlice) / 2;
      const half = (b.lastSlice - b.firstSlice) / 2 + 0.75;
      return { b, z: Math.sqrt(Math.max(0, 1 - ((index - mid) / half) ** 2)) };
    });
  const half = size / 2;
  for (let y = 0; y < size; y += 1) {
    const v = (y + 0.5 - half) / half;
    for (let x = 0; x < size; x += 1) {
      const u = (x + 0.5 - half) / half;
      const eu = u / ax;
      const ev = v / ay;
      const rho = Math.sqrt(eu * eu + ev * ev);
      let value: number;
      if (rho >= 1) {
        hu[y * size + x] = -1000;
        continue;
      }
      const theta = Math.atan2(ev, eu);
      // One noise draw per pixel whatever is drawn there, so a study with a bleed differs from the same seed
      // without one only inside the bleed (paired phantoms).
      const noise = rng.normal();
      if (rho >= OUTER_SKULL) {
        value = 40 + 6 * noise;
      } else if (rho >= INNER_SKULL) {
        // Cortical tables are denser than the diploë between them.
        const depth = (rho - INNER_SKULL) / (OUTER_SKULL - INNER_SKULL);
        value = 1250 + 400 * Math.abs(2 * depth - 1) + 40 * noise;
      } else {
        value = brainValue(u, v, rho, theta, vs, s, phases) + 4 * noise;
        for (const { b, z } of active) {
          if (z <= 0) continue;
          if (inBleed(b, z, u, v, rho, theta, vs, s, phases)) {
            value = b.hu + 4 * noise;
            counts[b.type] += 1;
            break;
          }
        }
      }
      hu[y * size + x] = Math.max(-1000, Math.min(3000, Math.round(value)));
    }
  }
  return { hu, bleedPixels: counts };
}

function ventricle(u: number, v: number, vs: number, s: number): { inside: boolean; dependent: number } {
  if (vs <= 0) return { inside: false, dependent: 0 };
  const cx = 0.11 * s;
  const cy = -0.02 * s;
  const rx = 0.06 * s * vs;
  const ry = 0.26 * s * vs;
  for (const side of [-1, 1]) {
    const du = (u - side * cx) / rx;
    const dv = (v - cy) / ry;
    if (du * du + dv * dv < 1) return { inside: true, dependent: dv };
  }
  return { inside: false, dependent: 0 };
}

function isSulcus(rho: number, theta: number, u: number, phases: readonly number[]): boolean {
  if (Math.abs(u) < 0.006 && rho < INNER_SKULL) return true; // interhemispheric fissure
  if (rho < 0.72) return false;
  const wiggle = 0.25 * Math.sin(5 * theta + (phases[0] ?? 0));
  return Math.sin(16 * theta + 9 * rho + wiggle + (phases[1] ?? 0)) > 0.86;
}

function brainValue(
  u: number,
  v: number,
  rho: number,
  theta: number,
  vs: number,
  s: number,
  phases: readonly number[],
): number {
  if (ventricle(u, v, vs, s).inside) return 5;
  if (isSulcus(rho, theta, u, phases)) return 8;
  // Grey matter at the cortex (~38 HU), white matter inside (~28 HU), with a smooth low-frequency texture.
  const grey = rho > 0.74 ? 1 : rho > 0.62 ? (rho - 0.62) / 0.12 : 0;
  const smooth =
    1.5 * Math.sin(7 * u + (phases[2] ?? 0)) * Math.sin(6 * v + (phases[3] ?? 0)) +
    Math.sin(13 * u * v + (phases[4] ?? 0));
  return 28 + 10 * grey + smooth;
}

function inBleed(
  b: BleedSpec,
  z: number,
  u: number,
  v: number,
  rho: number,
  theta: number,
  vs: number,
  s: number,
  phases: readonly number[],
): boolean {
  switch (b.type) {
    case 'epidural':
    case 'subdural': {
      const d = angleDiff(theta, b.angle);
      if (d >= b.spread) return false;
      const r = d / b.spread;
      // Epidural: biconvex lens (dura stripped from the skull, limited by sutures). Subdural: a flatter crescent.
      const profile = b.type === 'epidural' ? Math.sqrt(1 - r * r) : (1 - r * r) ** 0.3;
      return rho >= INNER_SKULL - b.size * profile * z;
    }
    case 'intraparenchymal': {
      const du = (u - b.centre[0] * s) / (b.size * s * z);
      const dv = (v - b.centre[1] * s) / (b.size * 0.8 * s * z);
      return rho < INNER_SKULL - 0.05 && du * du + dv * dv < 1;
    }
    case 'intraventricular': {
      const vent = ventricle(u, v, vs, s);
      // Blood layers in the dependent (posterior, for a supine patient) part of the ventricles.
      return vent.inside && vent.dependent > 1 - 2 * b.size * z;
    }
    case 'subarachnoid': {
      const d = angleDiff(theta, b.angle);
      return d < b.spread * z && isSulcus(rho, theta, u, phases) && rho > 0.3;
    }
  }
}

function angleDiff(a: number, b: number): number {
  const d = Math.abs(a - b) % (2 * Math.PI);
  return d > Math.PI ? 2 * Math.PI - d : d;
}
