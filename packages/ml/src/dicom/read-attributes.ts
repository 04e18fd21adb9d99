import type { DataSet } from 'dicom-parser';
import type { DicomAttributes } from './types.js';

/** Reads the attributes the pipeline needs. Missing optional values become '' / null; callers validate. */
export function readAttributes(ds: DataSet, transferSyntaxUid: string): DicomAttributes {
  const str = (tag: string): string => safe(() => ds.string(tag)) ?? '';
  const int = (tag: string): number | null => finiteOrNull(safe(() => ds.intString(tag)));
  const us = (tag: string): number | null => {
    const el = ds.elements[tag];
    if (!el || el.length < 2) return null;
    return safe(() => ds.uint16(tag)) ?? null;
  };
  const dsList = (tag: string): number[] => {
    const n = safe(() => ds.numStringValues(tag)) ?? 0;
    const out: number[] = [];
    for (let i = 0; i < n; i += 1) {
      const v = safe(() => ds.floatString(tag, i));
      if (v !== undefined && Number.isFinite(v)) out.push(v);
    }
    return out;
  };
  const dsFixed = <N extends number>(tag: string, n: N): number[] | null => {
    const values = dsList(tag);
    return values.length === n ? values : null;
  };
  const slope = dsList('x00281053')[0];
  const intercept = dsList('x00281052')[0];
  const position = dsFixed('x00200032', 3);
  const orientation = dsFixed('x00200037', 6);
  const spacing = dsFixed('x00280030', 2);
  const thickness = dsList('x00180050')[0];
  return {
    transferSyntaxUid,
    sopClassUid: str('x00080016'),
    sopInstanceUid: str('x00080018'),
    studyInstanceUid: str('x0020000d'),
    seriesInstanceUid: str('x0020000e'),
    frameOfReferenceUid: str('x00200052'),
    patientId: str('x00100020'),
    patientName: str('x00100010'),
    patientBirthDate: str('x00100030'),
    patientSex: str('x00100040'),
    patientAge: str('x00101010'),
    studyDate: str('x00080020'),
    studyTime: str('x00080030'),
    studyDescription: str('x00081030'),
    seriesDescription: str('x0008103e'),
    accessionNumber: str('x00080050'),
    modality: str('x00080060').toUpperCase(),
    bodyPartExamined: str('x00180015'),
    seriesNumber: int('x00200011'),
    instanceNumber: int('x00200013'),
    rows: us('x00280010') ?? 0,
    columns: us('x00280011') ?? 0,
    numberOfFrames: int('x00280008') ?? 1,
    samplesPerPixel: us('x00280002') ?? 1,
    bitsAllocated: us('x00280100') ?? 0,
    bitsStored: us('x00280101') ?? us('x00280100') ?? 0,
    highBit: us('x00280102') ?? (us('x00280101') ?? 1) - 1,
    pixelRepresentation: us('x00280103') ?? 0,
    photometricInterpretation: str('x00280004').toUpperCase(),
    planarConfiguration: us('x00280006') ?? 0,
    // A missing or zero slope would erase the image; DICOM's default is the identity rescale.
    rescaleSlope: slope !== undefined && slope !== 0 ? slope : 1,
    rescaleIntercept: intercept ?? 0,
    rescaleType: str('x00281054'),
    windowCenter: dsList('x00281050'),
    windowWidth: dsList('x00281051'),
    imagePositionPatient: position as [number, number, number] | null,
    imageOrientationPatient: orientation as [number, number, number, number, number, number] | null,
    pixelSpacing: spacing as [number, number] | null,
    sliceThickness: thickness ?? null,
  };
}

function safe<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

function finiteOrNull(v: number | undefined): number | null {
  return v !== undefined && Number.isFinite(v) ? v : null;
}
