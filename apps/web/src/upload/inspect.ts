import { TagKey } from '@ich/ml/browser';
import type { DataSet } from 'dicom-parser';

/** What the browser learns about one dropped file before sending it. */
export type Inspected =
  | {
      kind: 'dicom';
      file: File;
      path: string;
      patientName: string;
      patientId: string;
      studyUid: string;
      seriesUid: string;
      studyDescription: string;
    }
  | { kind: 'zip'; file: File; path: string }
  | { kind: 'skipped'; file: File; path: string; reason: string };

// The Part 10 preamble is 128 bytes, then "DICM"; the header up to pixel data fits in the first 64 KiB in practice,
// and a file whose header does not is still sent (the server decides), only without grouping.
const HEADER_BYTES = 64 * 1024;

function isZip(head: Uint8Array): boolean {
  return (
    head[0] === 0x50 &&
    head[1] === 0x4b &&
    (head[2] === 0x03 || head[2] === 0x05) &&
    (head[3] === 0x04 || head[3] === 0x06)
  );
}

/** Reads patient, study and series from a file's header with dicom-parser; non-DICOM files are skipped up front. */
export async function inspectFile(file: File, path: string, parse: (bytes: Uint8Array) => DataSet): Promise<Inspected> {
  const head = new Uint8Array(await file.slice(0, HEADER_BYTES).arrayBuffer());
  if (isZip(head)) return { kind: 'zip', file, path };
  const magic = String.fromCharCode(head[128] ?? 0, head[129] ?? 0, head[130] ?? 0, head[131] ?? 0);
  if (magic !== 'DICM') return { kind: 'skipped', file, path, reason: 'not a DICOM Part 10 file (no DICM marker)' };
  try {
    const ds = parse(head);
    const studyUid = ds.string(TagKey.StudyInstanceUID);
    const seriesUid = ds.string(TagKey.SeriesInstanceUID);
    if (!studyUid || !seriesUid) return { kind: 'skipped', file, path, reason: 'no Study or Series Instance UID' };
    return {
      kind: 'dicom',
      file,
      path,
      patientName: ds.string(TagKey.PatientName) ?? '',
      patientId: ds.string(TagKey.PatientID) ?? '',
      studyUid,
      seriesUid,
      studyDescription: ds.string(TagKey.StudyDescription) ?? '',
    };
  } catch (e) {
    return {
      kind: 'skipped',
      file,
      path,
      reason: `unreadable DICOM header: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
}

export interface StudyGroup {
  key: string;
  patientName: string;
  patientId: string;
  studyDescription: string;
  series: Set<string>;
  files: Inspected[];
}

/** One group per study (what one upload request carries); zip archives go in a group of their own each. */
export function groupByStudy(items: readonly Inspected[]): StudyGroup[] {
  const groups = new Map<string, StudyGroup>();
  for (const item of items) {
    if (item.kind === 'skipped') continue;
    const key = item.kind === 'dicom' ? item.studyUid : `zip:${item.path}`;
    let group = groups.get(key);
    if (!group) {
      group = {
        key,
        patientName: item.kind === 'dicom' ? item.patientName : '',
        patientId: item.kind === 'dicom' ? item.patientId : '',
        studyDescription: item.kind === 'dicom' ? item.studyDescription : `archive ${item.path}`,
        series: new Set(),
        files: [],
      };
      groups.set(key, group);
    }
    if (item.kind === 'dicom') group.series.add(item.seriesUid);
    group.files.push(item);
  }
  return [...groups.values()];
}
