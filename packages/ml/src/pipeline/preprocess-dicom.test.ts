import { describe, expect, it } from 'vitest';
import { synthStudy } from '../synth/study.js';
import { buildBatch } from '../tensor/build-batch.js';
import { DEFAULT_WINDOWS } from '../window/windows.js';
import { decodeToHounsfield } from './hounsfield-image.js';
import { preprocessDicomInto } from './preprocess-dicom.js';

describe('preprocessDicomInto (fused decode → HU → resize → windows)', () => {
  it('writes buildBatch of decodeToHounsfield (within 1e-6) into the batch at the given offset', async () => {
    for (const encoding of ['signed', 'unsigned', 'rsna-quirk'] as const) {
      const study = synthStudy({ seed: `fused-${encoding}`, slices: 2, size: 128, bleed: 'epidural', encoding });
      const px = 61 * 61 * 3;
      const batch = new Float32Array(2 * px).fill(-1);
      for (let i = 0; i < 2; i += 1) {
        const res = await preprocessDicomInto(study.files[i]!.bytes, { size: 61 }, batch, i * px);
        expect(res.ok).toBe(true);
      }
      const hus = [];
      for (const f of study.files) {
        const image = await decodeToHounsfield(f.bytes);
        if (!image.ok) throw image.error;
        hus.push({ hu: image.value.hu, rows: 128, columns: 128 });
      }
      const want = buildBatch(hus, 0, 2, { size: 61, windows: DEFAULT_WINDOWS });
      let worst = 0;
      for (let i = 0; i < want.length; i += 1) worst = Math.max(worst, Math.abs(want[i]! - batch[i]!));
      expect(worst).toBeLessThanOrEqual(1e-6);
      expect(batch.some((v) => v < 0)).toBe(false);
    }
  });

  it('returns coded errors instead of throwing', async () => {
    const res = await preprocessDicomInto(new Uint8Array(10), { size: 8 }, new Float32Array(192), 0);
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error.code).toBe('NOT_DICOM');
  });
});
