import { hashString } from '../synth/random.js';

/**
 * Train/validation split by patient: every slice of a patient, across all of that patient's studies, lands on the
 * same side, so validation never sees a head the model trained on. A patient goes to validation when the hash of
 * (seed, PatientID) falls under the fraction, which keeps the split stable as data is added.
 */
export function splitByPatient<T extends { readonly patientId: string }>(
  images: readonly T[],
  valFraction: number,
  seed = 'split',
): { train: T[]; val: T[]; trainPatients: number; valPatients: number } {
  if (!(valFraction >= 0 && valFraction < 1)) throw new RangeError(`valFraction must be in [0, 1), not ${valFraction}`);
  const patients = [...new Set(images.map((im) => im.patientId))].sort();
  const score = (p: string): number => hashString(`${seed}\u0000${p}`) / 4294967296;
  let valSet = new Set(patients.filter((p) => score(p) < valFraction));
  // Small sets: make the fraction real (the lowest-scoring patients), with at least one patient each side.
  const want = valFraction > 0 && patients.length >= 2 ? Math.max(1, Math.round(valFraction * patients.length)) : 0;
  if (valSet.size !== want) valSet = new Set([...patients].sort((a, b) => score(a) - score(b)).slice(0, want));
  const train: T[] = [];
  const val: T[] = [];
  for (const im of images) (valSet.has(im.patientId) ? val : train).push(im);
  return { train, val, trainPatients: patients.length - valSet.size, valPatients: valSet.size };
}
