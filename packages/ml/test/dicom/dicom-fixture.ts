import { Tag, type TagKeyword } from '../../src/dicom/tags.js';
import { type DataElement, type ElementValue, type WriteOptions, writeDicom } from '../../src/synth/dicom-writer.js';

/** The value representation of each element a fixture may carry (PixelData's depends on BitsAllocated). */
const VR = {
  SOPClassUID: 'UI',
  SOPInstanceUID: 'UI',
  Modality: 'CS',
  PatientName: 'PN',
  PatientID: 'LO',
  StudyInstanceUID: 'UI',
  SeriesInstanceUID: 'UI',
  InstanceNumber: 'IS',
  SamplesPerPixel: 'US',
  PhotometricInterpretation: 'CS',
  NumberOfFrames: 'IS',
  Rows: 'US',
  Columns: 'US',
  BitsAllocated: 'US',
  BitsStored: 'US',
  HighBit: 'US',
  PixelRepresentation: 'US',
  RescaleIntercept: 'DS',
  RescaleSlope: 'DS',
  RescaleType: 'LO',
  PixelData: 'OW',
} as const satisfies Partial<Record<TagKeyword, string>>;

type FixtureKeyword = keyof typeof VR;

/** Element values by keyword, over the CT defaults; `null` leaves an element out. */
export type FixtureValues = { readonly [K in FixtureKeyword]?: ElementValue | null };

/** A minimal CT image: 4×4, one frame, monochrome, 16-bit signed stored values, no rescale (stored = HU). */
const CT_DEFAULTS: FixtureValues = {
  SOPClassUID: '1.2.840.10008.5.1.4.1.1.2',
  SOPInstanceUID: '2.25.1',
  Modality: 'CT',
  SamplesPerPixel: 1,
  PhotometricInterpretation: 'MONOCHROME2',
  Rows: 4,
  Columns: 4,
  BitsAllocated: 16,
  BitsStored: 16,
  HighBit: 15,
  PixelRepresentation: 1,
};

const EXPLICIT_LE = '1.2.840.10008.1.2.1';

/**
 * A DICOM Part 10 file for tests, written by the synthetic writer: the CT defaults with `values` over them, in
 * explicit little endian unless `options` say otherwise. Without a PixelData value, the pixel data is zeros of the
 * size the image attributes declare (Rows × Columns × NumberOfFrames × SamplesPerPixel × BitsAllocated).
 */
export function dicomFixture(values: FixtureValues = {}, options: Partial<WriteOptions> = {}): Uint8Array {
  const image: FixtureValues = { ...CT_DEFAULTS, ...values };
  const number = (keyword: FixtureKeyword, fallback: number): number => {
    const v = image[keyword];
    return v === undefined || v === null ? fallback : Number(v);
  };
  const bitsAllocated = number('BitsAllocated', 16);
  const samples = number('Rows', 0) * number('Columns', 0) * number('NumberOfFrames', 1) * number('SamplesPerPixel', 1);
  const merged: FixtureValues = {
    ...image,
    PixelData: 'PixelData' in values ? values.PixelData : new Uint8Array(Math.ceil((samples * bitsAllocated) / 8)),
  };
  const elements: DataElement[] = [];
  for (const keyword of Object.keys(VR) as FixtureKeyword[]) {
    const value = merged[keyword];
    if (value === undefined || value === null) continue;
    const vr = keyword === 'PixelData' && bitsAllocated <= 8 ? 'OB' : VR[keyword];
    elements.push({ tag: Tag[keyword], vr, value });
  }
  return writeDicom(elements, { syntax: 'explicit-le', transferSyntaxUid: EXPLICIT_LE, ...options });
}
