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
 * Per-study anatomy that is not a bleed: which calcifications this head has (hard negatives: dense, bright, and
 * never labelled), how noisy its scanner is, and how strong its beam-hardening streaks are. Drawn from the seed only,
 * so a study and its bleed-free twin share them.
 */
interface Anatomy {
  readonly pineal: number;
  readonly choroid: number;
  readonly falx: number;
  /** Noise standard deviation in brain (HU) after averaging: real head CT at 5 mm shows about 3–6 HU. */
  readonly noise: number;
  /** Depth of the dark band between the petrous bones (HU). */
  readonly streak: number;
  readonly streakPhase: number;
}

function studyAnatomy(seed: number | string): Anatomy {
  const rng = createRng(`${seed}:anatomy`);
  return {
    pineal: rng.next() < 0.7 ? rng.range(120, 400) : 0,
    choroid: rng.next() < 0.6 ? rng.range(80, 220) : 0,
    falx: rng.next() < 0.3 ? rng.range(150, 350) : 0,
    noise: rng.range(3, 6),
    streak: rng.range(15, 45),
    streakPhase: rng.range(0, 2 * Math.PI),
  };
}

/** 2 × 2 sub-samples per pixel: edges (skull, bleeds, calcifications) take partial-volume values as on a scanner. */
const SUBSAMPLES: readonly (readonly [number, number])[] = [
  [-0.25, -0.25],
  [0.25, -0.25],
  [-0.25, 0.25],
  [0.25, 0.25],
];

/**
 * Renders slice `index` of a head-CT phantom: a 3-D head sampled at the slice's height (t from skull base to
 * vertex), so anatomy continues from slice to slice. Air, scalp, a skull ring with dense tables; at the skull base
 * the petrous bones, clivus and sinuses (air) with the posterior fossa, cerebellum and fourth ventricle between
 * them, and the dark beam-hardening band across the posterior fossa; above it brain with grey/white contrast,
 * sulci, the interhemispheric fissure, lateral ventricles, and (per study) pineal, choroid-plexus and falx
 * calcifications. Every pixel is the mean of 2 × 2 sub-samples (partial volume), plus scanner noise. The texture
 * depends only on (seed, index), so re-rendering is exact.
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
  const anatomy = studyAnatomy(seed);
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
  const slice: SliceGeometry = { t, s, ax, ay, vs, phases, anatomy };
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      // One noise draw per pixel whatever is drawn there, so a study with a bleed differs from the same seed
      // without one only inside the bleed (paired phantoms).
      const noise = rng.normal();
      let sum = 0;
      let inBleedCount = 0;
      let bleedType: BleedType | null = null;
      let tissue = 0;
      for (const [dx, dy] of SUBSAMPLES) {
        const u = (x + 0.5 + dx - half) / half;
        const v = (y + 0.5 + dy - half) / half;
        const sample = sampleHead(u, v, slice, active);
        sum += sample.hu;
        tissue = Math.max(tissue, sample.tissue);
        if (sample.bleed) {
          inBleedCount += 1;
          bleedType = sample.bleed;
        }
      }
      if (tissue === 0) {
        hu[y * size + x] = -1000;
        continue;
      }
      // Bone is noisier than brain (photon starvation), scalp and brain share the scanner's level.
      const sigma = tissue === 2 ? 40 : anatomy.noise;
      const value = sum / SUBSAMPLES.length + sigma * noise;
      if (bleedType && inBleedCount >= 2) counts[bleedType] += 1;
      hu[y * size + x] = Math.max(-1000, Math.min(3000, Math.round(value)));
    }
  }
  return { hu, bleedPixels: counts };
}

interface SliceGeometry {
  readonly t: number;
  readonly s: number;
  readonly ax: number;
  readonly ay: number;
  readonly vs: number;
  readonly phases: readonly number[];
  readonly anatomy: Anatomy;
}

/** One sub-sample: HU before noise, tissue class (0 air outside the head, 1 soft tissue, 2 bone), bleed type. */
function sampleHead(
  u: number,
  v: number,
  g: SliceGeometry,
  active: readonly { b: BleedSpec; z: number }[],
): { hu: number; tissue: number; bleed: BleedType | null } {
  const eu = u / g.ax;
  const ev = v / g.ay;
  const rho = Math.sqrt(eu * eu + ev * ev);
  if (rho >= 1) return { hu: -1000, tissue: 0, bleed: null };
  if (rho >= OUTER_SKULL) return { hu: 40, tissue: 1, bleed: null };
  if (rho >= INNER_SKULL) {
    // Cortical tables are denser than the diploë between them.
    const depth = (rho - INNER_SKULL) / (OUTER_SKULL - INNER_SKULL);
    return { hu: 1250 + 400 * Math.abs(2 * depth - 1), tissue: 2, bleed: null };
  }
  const theta = Math.atan2(ev, eu);
  const base = skullBase(u, v, g);
  if (base !== null) return { hu: base, tissue: base > 300 ? 2 : 1, bleed: null };
  for (const { b, z } of active) {
    if (z <= 0) continue;
    if (inBleed(b, z, u, v, rho, theta, g)) return { hu: b.hu, tissue: 1, bleed: b.type };
  }
  return { hu: brainValue(u, v, rho, theta, g), tissue: 1, bleed: null };
}

/** Distance from (u, v) to the segment (a, b). */
function segmentDistance(u: number, v: number, au: number, av: number, bu: number, bv: number): number {
  const du = bu - au;
  const dv = bv - av;
  const k = Math.max(0, Math.min(1, ((u - au) * du + (v - av) * dv) / (du * du + dv * dv)));
  return Math.hypot(u - au - k * du, v - av - k * dv);
}

/**
 * Skull-base structures for the lower slices (t < 0.32), or null where the slice shows brain: the petrous ridges
 * (dense bone running from the clivus forwards and outwards), the clivus, the sphenoid sinus (air in bone) and
 * the frontal sinuses. Anterior is negative v, posterior positive v; the petrous ridges run from their apex beside
 * the clivus backwards and outwards to the mastoids.
 */
function skullBase(u: number, v: number, g: SliceGeometry): number | null {
  const { t, s } = g;
  if (t >= 0.32) return null;
  const weight = Math.min(1, (0.32 - t) / 0.12);
  if (t < 0.26) {
    const d = Math.min(
      segmentDistance(u, v, -0.1 * s, -0.06 * s, -0.52 * s, 0.24 * s),
      segmentDistance(u, v, 0.1 * s, -0.06 * s, 0.52 * s, 0.24 * s),
    );
    if (d < 0.05 * s * weight) return 1500 + 300 * (1 - d / (0.05 * s * weight));
  }
  if (t < 0.22) {
    const cu = u / (0.07 * s);
    const cv = (v + 0.1 * s) / (0.14 * s);
    if (cu * cu + cv * cv < 1) return 900;
    const su = u / (0.12 * s);
    const sv = (v + 0.42 * s) / (0.1 * s);
    const r = su * su + sv * sv;
    if (r < 0.7) return -950;
    if (r < 1) return 1100;
  }
  if (t > 0.2 && t < 0.32) {
    const fu = Math.abs(u) / (0.1 * s);
    const fv = (v + 0.78 * s) / (0.06 * s);
    const r = fu * fu + fv * fv;
    if (r < 0.6) return -900;
    if (r < 1) return 1000;
  }
  return null;
}

function brainValue(u: number, v: number, rho: number, theta: number, g: SliceGeometry): number {
  const { t, s, vs, phases, anatomy } = g;
  if (t < 0.3 && v > 0.04 * s) {
    // Posterior fossa: the fourth ventricle in the midline, cerebellar folia (fine grey/white stripes) around it,
    // and the dark beam-hardening band the petrous bones cast across it.
    const fu = u / (0.05 * s);
    const fv = (v - 0.25 * s) / (0.06 * s);
    if (t > 0.1 && t < 0.28 && fu * fu + fv * fv < 1) return 6;
    const folia = 4 * Math.sin(60 * Math.hypot(u, v - 0.3 * s) + (phases[5] ?? 0));
    const band = Math.exp(-(((v - 0.12 * s) / (0.05 * s)) ** 2));
    const streaks = 0.5 + 0.5 * Math.sin(40 * Math.atan2(v - 0.02 * s, u) + anatomy.streakPhase);
    return 32 + folia - anatomy.streak * band * (0.6 + 0.4 * streaks);
  }
  const vent = ventricle(u, v, vs, s);
  if (vent.inside) {
    // Choroid plexus calcification in the atria (posterior horns), both sides.
    if (anatomy.choroid > 0 && vent.dependent > 0.55 && Math.abs(Math.abs(u) - 0.11 * s) < 0.025 * s)
      return anatomy.choroid;
    return 5;
  }
  // Pineal calcification: a dense dot in the midline behind the third ventricle.
  if (anatomy.pineal > 0 && t > 0.46 && t < 0.56 && Math.hypot(u, v - 0.2 * s) < 0.022 * s) return anatomy.pineal;
  // Falx calcification: a thin dense plaque on the anterior midline.
  if (anatomy.falx > 0 && t > 0.55 && t < 0.78 && Math.abs(u) < 0.01 && v > -0.55 * s && v < -0.38 * s)
    return anatomy.falx;
  if (isSulcus(rho, theta, u, t, phases)) return 8;
  // Grey matter at the cortex (~38 HU), white matter inside (~28 HU), deep grey nuclei (~36 HU) beside the
  // ventricles, with a smooth low-frequency texture that changes slowly with height.
  const grey = rho > 0.74 ? 1 : rho > 0.62 ? (rho - 0.62) / 0.12 : 0;
  const nuclei = vs > 0 && Math.hypot((Math.abs(u) - 0.24 * s) / 0.09, (v + 0.02 * s) / 0.14) < s ? 0.8 : 0;
  const smooth =
    1.5 * Math.sin(7 * u + 3 * t + (phases[2] ?? 0)) * Math.sin(6 * v - 2 * t + (phases[3] ?? 0)) +
    Math.sin(13 * u * v + 4 * t + (phases[4] ?? 0));
  return 28 + 10 * Math.max(grey, nuclei) + smooth;
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

function isSulcus(rho: number, theta: number, u: number, t: number, phases: readonly number[]): boolean {
  if (Math.abs(u) < 0.006 && rho < INNER_SKULL) return true; // interhemispheric fissure
  if (rho < 0.72) return false;
  // Gyri drift slowly with height, so a sulcus continues into the next slice a little displaced.
  const wiggle = 0.25 * Math.sin(5 * theta + 4 * t + (phases[0] ?? 0));
  return Math.sin(16 * theta + 9 * rho + 3 * t + wiggle + (phases[1] ?? 0)) > 0.86;
}

function inBleed(b: BleedSpec, z: number, u: number, v: number, rho: number, theta: number, g: SliceGeometry): boolean {
  const { vs, s, phases, t } = g;
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
      // Lobulated, not elliptical: real haematomas have irregular margins.
      const phi = Math.atan2(dv, du);
      const lobes = 1 + 0.14 * Math.sin(3 * phi + b.angle) + 0.08 * Math.sin(5 * phi + 2 * b.angle);
      return rho < INNER_SKULL - 0.05 && du * du + dv * dv < lobes * lobes;
    }
    case 'intraventricular': {
      const vent = ventricle(u, v, vs, s);
      // Blood layers in the dependent (posterior, for a supine patient) part of the ventricles.
      return vent.inside && vent.dependent > 1 - 2 * b.size * z;
    }
    case 'subarachnoid': {
      const d = angleDiff(theta, b.angle);
      return d < b.spread * z && isSulcus(rho, theta, u, t, phases) && rho > 0.3;
    }
  }
}

function angleDiff(a: number, b: number): number {
  const d = Math.abs(a - b) % (2 * Math.PI);
  return d > Math.PI ? 2 * Math.PI - d : d;
}
