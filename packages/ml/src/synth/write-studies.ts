import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type SliceLabels, synthStudy } from './study.js';

/**
 * A folder of synthetic phantom studies (study-001/0001.dcm …) for calibration sets and held-out sets, with the
 * per-slice ground truth returned (keyed by SOPInstanceUID). Studies use the seeds `<seed>-1`, `<seed>-2`, … as
 * `ich-ml synth` does; about half of them bleed.
 */
export async function writeSynthStudies(options: {
  readonly out: string;
  readonly studies: number;
  readonly slices: number;
  readonly size: number;
  readonly seed: number | string;
}): Promise<Map<string, SliceLabels>> {
  const truth = new Map<string, SliceLabels>();
  for (let i = 0; i < options.studies; i++) {
    const study = synthStudy({
      seed: `${options.seed}-${i + 1}`,
      slices: options.slices,
      size: options.size,
      bleed: 'random',
    });
    const folder = join(options.out, `study-${String(i + 1).padStart(3, '0')}`);
    await mkdir(folder, { recursive: true });
    for (const f of study.files) {
      await writeFile(join(folder, f.name), f.bytes);
      truth.set(f.sopInstanceUid, f.labels);
    }
  }
  return truth;
}
