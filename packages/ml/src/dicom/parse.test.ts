import { describe, expect, it } from 'vitest';
import { dicomFixture } from '../../test/dicom/dicom-fixture.js';
import { synthStudy } from '../synth/study.js';
import { parseDicom } from './parse.js';
import { checkCtEligibility } from './validate.js';

const study = synthStudy({ seed: 'parse', slices: 3, size: 32, bleed: 'none' });
const file = study.files[1]?.bytes as Uint8Array;

describe('parseDicom', () => {
  it('reads the attributes the pipeline needs', () => {
    const r = parseDicom(file);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const a = r.value.attrs;
    expect(a).toMatchObject({
      transferSyntaxUid: '1.2.840.10008.1.2.1',
      sopInstanceUid: study.files[1]?.sopInstanceUid,
      studyInstanceUid: study.studyInstanceUid,
      seriesInstanceUid: study.seriesInstanceUid,
      patientId: study.patientId,
      patientName: study.patientName,
      studyDate: study.studyDate,
      studyDescription: study.studyDescription,
      modality: 'CT',
      rows: 32,
      columns: 32,
      numberOfFrames: 1,
      bitsAllocated: 16,
      bitsStored: 16,
      pixelRepresentation: 1,
      photometricInterpretation: 'MONOCHROME2',
      rescaleSlope: 1,
      rescaleIntercept: -1024,
      rescaleType: 'HU',
      windowCenter: [40, 80],
      windowWidth: [80, 200],
      instanceNumber: 2,
      imageOrientationPatient: [1, 0, 0, 0, 1, 0],
      sliceThickness: 5,
    });
    expect(a.imagePositionPatient?.[2]).toBe(-2.5);
    expect(a.pixelSpacing?.[0]).toBeCloseTo(230 / 32, 5);
    expect(r.value.pixelData).toMatchObject({ encapsulated: false, length: 32 * 32 * 2 });
  });

  it('rejects non-DICOM bytes with NOT_DICOM', () => {
    for (const bytes of [new Uint8Array(0), new TextEncoder().encode('hello world'.repeat(20)), file.subarray(1)]) {
      const r = parseDicom(bytes);
      expect(!r.ok && r.error.code).toBe('NOT_DICOM');
    }
  });

  it('rejects pixel data shorter than rows × columns × frames with TRUNCATED', () => {
    const r = parseDicom(file.subarray(0, file.length - 100));
    expect(!r.ok && r.error.code).toBe('TRUNCATED');
    // Two frames declared, one frame of pixel data.
    const frames = parseDicom(dicomFixture({ NumberOfFrames: 2, PixelData: new Int16Array(16) }));
    expect(!frames.ok && frames.error.code).toBe('TRUNCATED');
    expect(!frames.ok && frames.error.message).toMatch(/needs 64/);
  });

  it('rejects a data set without pixel data with NO_PIXEL_DATA', () => {
    const r = parseDicom(dicomFixture({ PixelData: null }));
    expect(!r.ok && r.error.code).toBe('NO_PIXEL_DATA');
  });

  it('rejects untrustworthy or unknown transfer syntaxes with UNSUPPORTED_TRANSFER_SYNTAX', () => {
    for (const uid of ['1.2.840.10008.1.2.4.51', '1.2.3.999']) {
      const bytes = dicomFixture(
        {},
        { syntax: 'encapsulated', transferSyntaxUid: uid, frames: [Uint8Array.of(0xff, 0xd8, 0xff, 0xd9)] },
      );
      const r = parseDicom(bytes);
      expect(!r.ok && r.error.code, uid).toBe('UNSUPPORTED_TRANSFER_SYNTAX');
    }
  });

  it('rejects colour images with UNSUPPORTED_PHOTOMETRIC and odd bit depths with UNSUPPORTED_PIXEL_FORMAT', () => {
    const rgb = parseDicom(dicomFixture({ PhotometricInterpretation: 'RGB', SamplesPerPixel: 3 }));
    expect(!rgb.ok && rgb.error.code).toBe('UNSUPPORTED_PHOTOMETRIC');
    const bits = parseDicom(dicomFixture({ BitsAllocated: 12 }));
    expect(!bits.ok && bits.error.code).toBe('UNSUPPORTED_PIXEL_FORMAT');
    const zero = parseDicom(dicomFixture({ Rows: 0 }));
    expect(!zero.ok && zero.error.code).toBe('BAD_DICOM');
  });

  it('parses non-CT images (preprocessing works on any monochrome image); eligibility is a separate check', () => {
    const mr = parseDicom(dicomFixture({ Modality: 'MR' }));
    expect(mr.ok).toBe(true);
    if (!mr.ok) return;
    const eligible = checkCtEligibility(mr.value.attrs);
    expect(!eligible.ok && eligible.error.code).toBe('NOT_CT');
    expect(checkCtEligibility({ modality: 'CT' }).ok).toBe(true);
  });

  it('ends every truncation of a valid file in a result or a coded error (never a throw)', () => {
    const cuts = Math.ceil(file.length / 7);
    // One assertion per cut: a loop that stopped early, or cuts that all parsed, would not go unnoticed.
    expect.assertions(cuts + 1);
    let refused = 0;
    for (let cut = 0; cut < file.length; cut += 7) {
      const r = parseDicom(file.subarray(0, cut));
      if (r.ok) {
        expect(r.value.attrs.sopInstanceUid).toBeTruthy();
        continue;
      }
      refused += 1;
      expect([
        'NOT_DICOM',
        'TRUNCATED',
        'BAD_DICOM',
        'NO_PIXEL_DATA',
        'UNSUPPORTED_TRANSFER_SYNTAX',
        'UNSUPPORTED_PHOTOMETRIC',
        'UNSUPPORTED_PIXEL_FORMAT',
      ]).toContain(r.error.code);
    }
    // Almost every cut loses the pixel data, so most must be refused.
    expect(refused).toBeGreaterThan(cuts / 2);
  });
});
