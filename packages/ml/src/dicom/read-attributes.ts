import type { DataSet } from 'dicom-parser';
import { TagKey } from './tags.js';
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
  const slope = dsList(TagKey.RescaleSlope)[0];
  const intercept = dsList(TagKey.RescaleIntercept)[0];
  const position = dsFixed(TagKey.ImagePositionPatient, 3);
  const orientation = dsFixed(TagKey.ImageOrientationPatient, 6);
  const spacing = dsFixed(TagKey.PixelSpacing, 2);
  const thickness = dsList(TagKey.SliceThickness)[0];
  return {
    transferSyntaxUid,
    sopClassUid: str(TagKey.SOPClassUID),
    sopInstanceUid: str(TagKey.SOPInstanceUID),
    studyInstanceUid: str(TagKey.StudyInstanceUID),
    seriesInstanceUid: str(TagKey.SeriesInstanceUID),
    frameOfReferenceUid: str(TagKey.FrameOfReferenceUID),
    patientId: str(TagKey.PatientID),
    patientName: str(TagKey.PatientName),
    patientBirthDate: str(TagKey.PatientBirthDate),
    patientSex: str(TagKey.PatientSex),
    patientAge: str(TagKey.PatientAge),
    studyDate: str(TagKey.StudyDate),
    studyTime: str(TagKey.StudyTime),
    studyDescription: str(TagKey.StudyDescription),
    seriesDescription: str(TagKey.SeriesDescription),
    accessionNumber: str(TagKey.AccessionNumber),
    modality: str(TagKey.Modality).toUpperCase(),
    bodyPartExamined: str(TagKey.BodyPartExamined),
    seriesNumber: int(TagKey.SeriesNumber),
    instanceNumber: int(TagKey.InstanceNumber),
    rows: us(TagKey.Rows) ?? 0,
    columns: us(TagKey.Columns) ?? 0,
    numberOfFrames: int(TagKey.NumberOfFrames) ?? 1,
    samplesPerPixel: us(TagKey.SamplesPerPixel) ?? 1,
    bitsAllocated: us(TagKey.BitsAllocated) ?? 0,
    bitsStored: us(TagKey.BitsStored) ?? us(TagKey.BitsAllocated) ?? 0,
    highBit: us(TagKey.HighBit) ?? (us(TagKey.BitsStored) ?? 1) - 1,
    pixelRepresentation: us(TagKey.PixelRepresentation) ?? 0,
    photometricInterpretation: str(TagKey.PhotometricInterpretation).toUpperCase(),
    planarConfiguration: us(TagKey.PlanarConfiguration) ?? 0,
    // A missing or zero slope would erase the image; DICOM's default is the identity rescale.
    rescaleSlope: slope !== undefined && slope !== 0 ? slope : 1,
    rescaleIntercept: intercept ?? 0,
    rescaleType: str(TagKey.RescaleType),
    windowCenter: dsList(TagKey.WindowCenter),
    windowWidth: dsList(TagKey.WindowWidth),
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
