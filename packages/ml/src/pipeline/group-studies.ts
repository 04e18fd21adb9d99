import type { DicomAttributes } from '../dicom/types.js';
import { assembleSeries, type SeriesIssue } from '../series/assemble.js';

/** One slice of a loaded study, in series order, with its HU image. */
export interface LoadedSlice {
  /** Where it came from (a path, a storage key); opaque to the pipeline. */
  readonly source: string;
  readonly sopInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly instanceNumber: number | null;
  readonly rows: number;
  readonly columns: number;
  readonly imagePositionPatient: readonly [number, number, number] | null;
  readonly imageOrientationPatient: readonly number[] | null;
  readonly attrs: DicomAttributes;
  readonly hu: Float32Array;
}

export interface LoadedSeries {
  readonly seriesInstanceUid: string;
  readonly seriesNumber: number | null;
  readonly seriesDescription: string;
  readonly slices: readonly LoadedSlice[];
  /** Median slice spacing along the normal (mm), null if unknown. */
  readonly spacing: number | null;
  readonly issues: readonly SeriesIssue[];
}

export interface LoadedStudy {
  readonly studyInstanceUid: string;
  readonly patientId: string;
  readonly patientName: string;
  readonly patientSex: string;
  readonly patientBirthDate: string;
  readonly studyDate: string;
  readonly studyTime: string;
  readonly studyDescription: string;
  readonly accessionNumber: string;
  readonly series: readonly LoadedSeries[];
}

/** Groups decoded slices into studies (by StudyInstanceUID) and ordered series. Pure. */
export function groupStudies(slices: readonly LoadedSlice[]): LoadedStudy[] {
  const byStudy = new Map<string, LoadedSlice[]>();
  for (const s of slices) {
    const key = s.attrs.studyInstanceUid;
    const list = byStudy.get(key);
    if (list) list.push(s);
    else byStudy.set(key, [s]);
  }
  return [...byStudy.entries()].map(([studyInstanceUid, members]) => {
    const a = (members[0] as LoadedSlice).attrs;
    const series = assembleSeries(members).map((sr) => {
      const first = sr.slices[0]?.attrs;
      return {
        seriesInstanceUid: sr.seriesInstanceUid,
        seriesNumber: first?.seriesNumber ?? null,
        seriesDescription: first?.seriesDescription ?? '',
        slices: sr.slices,
        spacing: sr.spacing,
        issues: sr.issues,
      };
    });
    series.sort(
      (x, y) => (x.seriesNumber ?? 0) - (y.seriesNumber ?? 0) || x.seriesInstanceUid.localeCompare(y.seriesInstanceUid),
    );
    return {
      studyInstanceUid,
      patientId: a.patientId,
      patientName: a.patientName,
      patientSex: a.patientSex,
      patientBirthDate: a.patientBirthDate,
      studyDate: a.studyDate,
      studyTime: a.studyTime,
      studyDescription: a.studyDescription,
      accessionNumber: a.accessionNumber,
      series,
    };
  });
}
