import { deflateRawSync } from 'node:zlib';
import { Tag } from '../dicom/tags.js';
import { LABELS, type Label } from '../labels.js';
import { type DataElement, type WriterSyntax, writeDicom } from './dicom-writer.js';
import { BLEED_TYPES, type BleedSpec, type BleedType, planBleeds, renderPhantomSlice } from './phantom.js';
import { createRng, uidFrom } from './random.js';
import { encodeRleFrame } from './rle-encode.js';

/** Encodings the synthesizer writes by itself; JPEG-family files are made from these with dcmtk/gdcm in tests. */
export const SYNTH_SYNTAXES = {
  'explicit-le': '1.2.840.10008.1.2.1',
  'implicit-le': '1.2.840.10008.1.2',
  'explicit-be': '1.2.840.10008.1.2.2',
  deflated: '1.2.840.10008.1.2.1.99',
  rle: '1.2.840.10008.1.2.5',
} as const;
export type SynthSyntax = keyof typeof SYNTH_SYNTAXES;

export const SYNTH_ENCODINGS = ['signed', 'unsigned', 'rsna-quirk'] as const;

export type SliceLabels = Record<Label, 0 | 1>;

export interface SynthOptions {
  /** Makes the whole study reproducible: pixels, UIDs, names, bleeds. */
  readonly seed?: number | string;
  readonly slices?: number;
  /** Rows and columns (square). */
  readonly size?: number;
  /** 'none', 'random' (about half the studies bleed, with one or two subtypes), one subtype, or a list. */
  readonly bleed?: 'none' | 'random' | BleedType | readonly BleedType[];
  readonly transferSyntax?: SynthSyntax;
  /**
   * Stored-value encoding: 'signed' (int16, intercept −1024, the default), 'unsigned' (uint16 with 12 bits
   * stored, intercept −1024), or 'rsna-quirk' (12-bit two's complement mislabelled PixelRepresentation 0 with
   * intercept 0, as in some RSNA 2019 files).
   */
  readonly encoding?: (typeof SYNTH_ENCODINGS)[number];
  readonly sliceThicknessMm?: number;
  readonly fieldOfViewMm?: number;
  readonly studyDate?: string;
  /** Seed of the PatientID (default: the study seed). Studies sharing it belong to one patient. */
  readonly patientSeed?: number | string;
}

export interface SynthFile {
  /** File name within the study folder, e.g. "0001.dcm" (numbered in slice order, feet to head). */
  readonly name: string;
  readonly sopInstanceUid: string;
  readonly instanceNumber: number;
  readonly bytes: Uint8Array;
  readonly labels: SliceLabels;
  /** The HU the file encodes (ground truth for decoding tests). */
  readonly hu: Int16Array;
}

export interface SynthStudy {
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly patientId: string;
  readonly patientName: string;
  readonly studyDate: string;
  readonly studyDescription: string;
  readonly bleeds: readonly BleedSpec[];
  /** Study-level ground truth: a label is 1 when any slice has it. */
  readonly labels: SliceLabels;
  readonly files: readonly SynthFile[];
}

const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';

/** Writes one synthetic head-CT study (one axial series) as DICOM Part 10 files with per-slice ground truth. */
export function synthStudy(options: SynthOptions = {}): SynthStudy {
  const seed = options.seed ?? 1;
  const slices = options.slices ?? 32;
  const size = options.size ?? 512;
  if (!Number.isInteger(slices) || slices < 1 || slices > 1000)
    throw new RangeError(`slices must be 1..1000, not ${slices}`);
  if (!Number.isInteger(size) || size < 16 || size > 2048) throw new RangeError(`size must be 16..2048, not ${size}`);
  const rng = createRng(`${seed}:study`);
  const types = chooseBleeds(options.bleed ?? 'random', rng);
  const bleeds = planBleeds(types, slices, rng);
  const studyInstanceUid = uidFrom(`${seed}:study`);
  const seriesInstanceUid = uidFrom(`${seed}:series`);
  const frameOfReferenceUid = uidFrom(`${seed}:frame`);
  const patientId = `SYN${String(createRng(`${options.patientSeed ?? seed}:pid`).int(0, 9_999_999)).padStart(7, '0')}`;
  const patientName = `SYNTHETIC^PHANTOM${String(seed).replace(/[^\w]/g, '').slice(0, 16)}`;
  const studyDate =
    options.studyDate ?? `2024${String(rng.int(1, 12)).padStart(2, '0')}${String(rng.int(1, 28)).padStart(2, '0')}`;
  const studyDescription = 'CT HEAD WO CONTRAST (SYNTHETIC PHANTOM)';
  const thickness = options.sliceThicknessMm ?? 5;
  const spacing = (options.fieldOfViewMm ?? 230) / size;
  const syntax = options.transferSyntax ?? 'explicit-le';
  const encoding = options.encoding ?? 'signed';
  const minPixels = Math.max(3, Math.round(size * size * 1e-4));
  const studyLabels = emptyLabels();

  const files: SynthFile[] = [];
  for (let k = 0; k < slices; k += 1) {
    const slice = renderPhantomSlice(size, k, slices, bleeds, seed);
    const labels = emptyLabels();
    for (const type of BLEED_TYPES) {
      if (slice.bleedPixels[type] >= minPixels) {
        labels[type] = 1;
        labels.any = 1;
        studyLabels[type] = 1;
        studyLabels.any = 1;
      }
    }
    const sopInstanceUid = uidFrom(`${seed}:instance:${k}`);
    const { stored, pixel } = encodePixels(slice.hu, encoding);
    const z = -0.5 * slices * thickness + k * thickness;
    const elements: DataElement[] = [
      { tag: Tag.ImageType, vr: 'CS', value: ['ORIGINAL', 'PRIMARY', 'AXIAL'] },
      { tag: Tag.SOPClassUID, vr: 'UI', value: CT_IMAGE_STORAGE },
      { tag: Tag.SOPInstanceUID, vr: 'UI', value: sopInstanceUid },
      { tag: Tag.StudyDate, vr: 'DA', value: studyDate },
      { tag: Tag.StudyTime, vr: 'TM', value: '120000' },
      { tag: Tag.AccessionNumber, vr: 'SH', value: `ACC${patientId.slice(3)}` },
      { tag: Tag.Modality, vr: 'CS', value: 'CT' },
      { tag: Tag.Manufacturer, vr: 'LO', value: 'ICH SYNTHETIC PHANTOM' },
      { tag: Tag.StudyDescription, vr: 'LO', value: studyDescription },
      { tag: Tag.SeriesDescription, vr: 'LO', value: 'AXIAL HEAD 5MM' },
      { tag: Tag.PatientName, vr: 'PN', value: patientName },
      { tag: Tag.PatientID, vr: 'LO', value: patientId },
      { tag: Tag.PatientBirthDate, vr: 'DA', value: '19600101' },
      { tag: Tag.PatientSex, vr: 'CS', value: rng.pick(['F', 'M']) },
      { tag: Tag.BodyPartExamined, vr: 'CS', value: 'HEAD' },
      { tag: Tag.SliceThickness, vr: 'DS', value: String(thickness) },
      { tag: Tag.StudyInstanceUID, vr: 'UI', value: studyInstanceUid },
      { tag: Tag.SeriesInstanceUID, vr: 'UI', value: seriesInstanceUid },
      { tag: Tag.StudyID, vr: 'SH', value: '1' },
      { tag: Tag.SeriesNumber, vr: 'IS', value: '1' },
      { tag: Tag.InstanceNumber, vr: 'IS', value: String(k + 1) },
      {
        tag: Tag.ImagePositionPatient,
        vr: 'DS',
        value: [fmt((-spacing * size) / 2), fmt((-spacing * size) / 2), fmt(z)],
      },
      { tag: Tag.ImageOrientationPatient, vr: 'DS', value: ['1', '0', '0', '0', '1', '0'] },
      { tag: Tag.FrameOfReferenceUID, vr: 'UI', value: frameOfReferenceUid },
      { tag: Tag.SliceLocation, vr: 'DS', value: fmt(z) },
      { tag: Tag.SamplesPerPixel, vr: 'US', value: 1 },
      { tag: Tag.PhotometricInterpretation, vr: 'CS', value: 'MONOCHROME2' },
      { tag: Tag.Rows, vr: 'US', value: size },
      { tag: Tag.Columns, vr: 'US', value: size },
      { tag: Tag.PixelSpacing, vr: 'DS', value: [fmt(spacing), fmt(spacing)] },
      { tag: Tag.BitsAllocated, vr: 'US', value: 16 },
      { tag: Tag.BitsStored, vr: 'US', value: pixel.bitsStored },
      { tag: Tag.HighBit, vr: 'US', value: pixel.bitsStored - 1 },
      { tag: Tag.PixelRepresentation, vr: 'US', value: pixel.pixelRepresentation },
      { tag: Tag.WindowCenter, vr: 'DS', value: ['40', '80'] },
      { tag: Tag.WindowWidth, vr: 'DS', value: ['80', '200'] },
      { tag: Tag.RescaleIntercept, vr: 'DS', value: String(pixel.intercept) },
      { tag: Tag.RescaleSlope, vr: 'DS', value: '1' },
      { tag: Tag.RescaleType, vr: 'LO', value: 'HU' },
      { tag: Tag.PixelData, vr: 'OW', value: stored },
    ];
    const uid = SYNTH_SYNTAXES[syntax];
    const bytes =
      syntax === 'rle'
        ? writeDicom(elements, {
            syntax: 'encapsulated',
            transferSyntaxUid: uid,
            frames: [encodeRleFrame(stored, size, size)],
          })
        : writeDicom(elements, {
            syntax: syntax as WriterSyntax,
            transferSyntaxUid: uid,
            deflateRaw: (b) => deflateRawSync(b),
          });
    files.push({
      name: `${String(k + 1).padStart(4, '0')}.dcm`,
      sopInstanceUid,
      instanceNumber: k + 1,
      bytes,
      labels,
      hu: slice.hu,
    });
  }
  return {
    studyInstanceUid,
    seriesInstanceUid,
    patientId,
    patientName,
    studyDate,
    studyDescription,
    bleeds,
    labels: studyLabels,
    files,
  };
}

function encodePixels(
  hu: Int16Array,
  encoding: NonNullable<SynthOptions['encoding']>,
): { stored: Int16Array | Uint16Array; pixel: { bitsStored: number; pixelRepresentation: number; intercept: number } } {
  if (encoding === 'signed') {
    const stored = new Int16Array(hu.length);
    for (let i = 0; i < hu.length; i += 1) stored[i] = (hu[i] as number) + 1024;
    return { stored, pixel: { bitsStored: 16, pixelRepresentation: 1, intercept: -1024 } };
  }
  const stored = new Uint16Array(hu.length);
  if (encoding === 'unsigned') {
    for (let i = 0; i < hu.length; i += 1) stored[i] = (hu[i] as number) + 1024;
    return { stored, pixel: { bitsStored: 12, pixelRepresentation: 0, intercept: -1024 } };
  }
  for (let i = 0; i < hu.length; i += 1) stored[i] = (hu[i] as number) & 0xfff;
  return { stored, pixel: { bitsStored: 12, pixelRepresentation: 0, intercept: 0 } };
}

function chooseBleeds(bleed: NonNullable<SynthOptions['bleed']>, rng: ReturnType<typeof createRng>): BleedType[] {
  if (bleed === 'none') return [];
  if (bleed === 'random') {
    if (rng.next() < 0.5) return [];
    const first = rng.pick(BLEED_TYPES);
    const second = rng.next() < 0.3 ? rng.pick(BLEED_TYPES.filter((t) => t !== first)) : null;
    return second ? [first, second] : [first];
  }
  return typeof bleed === 'string' ? [bleed] : [...bleed];
}

function emptyLabels(): SliceLabels {
  return Object.fromEntries(LABELS.map((l) => [l, 0])) as SliceLabels;
}

function fmt(v: number): string {
  // DS is at most 16 characters.
  return String(Number(v.toFixed(6)));
}
