import dcmjs from 'dcmjs';
import type { DicomJson } from './dicom-json.js';
import type { Level } from './qido.js';

/**
 * QIDO-RS `includefield` (PS3.18 8.3.4.3): attributes a client wants beyond the default return set, named by keyword
 * (`BodyPartExamined`), by tag (`00180015`), or `all`. The database answers the default set; whatever else is asked
 * for is read from a stored instance header (the study's or series' first instance at those levels: patient, study
 * and series attributes are the same in every instance of one study or series). Names that are neither a keyword
 * of the DICOM dictionary nor a tag are reported in the Warning header, as unsupported parameters are.
 */
export interface IncludeFields {
  /** `includefield=all`: every attribute of the level (for instances, every attribute of the header but bulk data). */
  readonly all: boolean;
  /** Explicitly requested tags, upper-case `GGGGEEEE`. */
  readonly tags: readonly string[];
  /** Requested names that are not attributes. */
  readonly unknown: readonly string[];
}

export const NO_INCLUDE_FIELDS: IncludeFields = { all: false, tags: [], unknown: [] };

const TAG = /^[0-9A-F]{8}$/;
const MAX_FIELDS = 256;

/** Parses every `includefield` value (repeated parameters and comma lists both allowed). */
export function parseIncludeFields(values: readonly string[]): IncludeFields {
  let all = false;
  const tags = new Set<string>();
  const unknown: string[] = [];
  const names = values.flatMap((v) => v.split(',')).map((v) => v.trim());
  for (const name of names.slice(0, MAX_FIELDS)) {
    if (name === '') continue;
    if (name.toLowerCase() === 'all') {
      all = true;
      continue;
    }
    const tag = tagOf(name);
    if (tag) tags.add(tag);
    else unknown.push(name.slice(0, 64));
  }
  if (names.length > MAX_FIELDS) unknown.push(`(${names.length - MAX_FIELDS} more names not read)`);
  return { all, tags: [...tags], unknown };
}

/** A keyword of the DICOM data dictionary, or a tag written as 8 hex digits, as `GGGGEEEE`; otherwise null. */
export function tagOf(name: string): string | null {
  const upper = name.toUpperCase();
  if (TAG.test(upper)) return upper;
  const entry = dcmjs.data.DicomMetaDictionary.nameMap[name];
  const match = entry?.tag ? /^\(([0-9A-F]{4}),([0-9A-F]{4})\)$/i.exec(entry.tag) : null;
  return match ? `${match[1]}${match[2]}`.toUpperCase() : null;
}

/**
 * What `all` means above the instance level: the Patient, General Study and Patient Study modules for studies, plus
 * the General Series module for series (PS3.3 C.7.1.1, C.7.2.1, C.7.2.2, C.7.3.1). Instance-level attributes (image
 * position, pixel module, SOP identifiers) never appear as study or series attributes.
 */
const STUDY_LEVEL = new Set([
  '00080020', // StudyDate
  '00080030', // StudyTime
  '00080050', // AccessionNumber
  '00080051', // IssuerOfAccessionNumberSequence
  '00080090', // ReferringPhysicianName
  '00081030', // StudyDescription
  '00081032', // ProcedureCodeSequence
  '00081060', // NameOfPhysiciansReadingStudy
  '00100010', // PatientName
  '00100020', // PatientID
  '00100021', // IssuerOfPatientID
  '00100030', // PatientBirthDate
  '00100040', // PatientSex
  '00101010', // PatientAge
  '00101020', // PatientSize
  '00101030', // PatientWeight
  '00102160', // EthnicGroup
  '00104000', // PatientComments
  '0020000D', // StudyInstanceUID
  '00200010', // StudyID
]);

const SERIES_LEVEL = new Set([
  ...STUDY_LEVEL,
  '00080021', // SeriesDate
  '00080031', // SeriesTime
  '00080060', // Modality
  '00080070', // Manufacturer
  '00081010', // StationName
  '0008103E', // SeriesDescription
  '00081090', // ManufacturerModelName
  '00180015', // BodyPartExamined
  '00181030', // ProtocolName
  '00185100', // PatientPosition
  '0020000E', // SeriesInstanceUID
  '00200011', // SeriesNumber
  '00200052', // FrameOfReferenceUID
  '00200060', // Laterality
]);

/** Bulk and binary values are never QIDO attributes; WADO-RS metadata and frames serve them. */
const BULK = new Set(['7FE00010', '7FE00008', '7FE00009']);
const BINARY_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);

/** True when a result at this level needs attributes that its default set (the keys of `row`) lacks. */
export function needsHeader(include: IncludeFields, row: DicomJson): boolean {
  if (include.all) return true;
  return include.tags.some((tag) => !(tag in row) && !BULK.has(tag));
}

/**
 * The attributes to add to `row` from a stored header: those asked for that `row` lacks. The database's values in
 * `row` (counts, retrieve URLs, the recorded patient and study) are never replaced.
 */
export function extraAttributes(include: IncludeFields, row: DicomJson, header: DicomJson, level: Level): DicomJson {
  const wanted = new Set(include.tags);
  if (include.all) {
    const levelSet = level === 'study' ? STUDY_LEVEL : level === 'series' ? SERIES_LEVEL : null;
    for (const tag of Object.keys(header)) if (!levelSet || levelSet.has(tag)) wanted.add(tag);
  }
  const out: DicomJson = {};
  for (const tag of [...wanted].sort()) {
    if (tag in row || BULK.has(tag)) continue;
    const element = header[tag];
    if (!element || BINARY_VRS.has(element.vr)) continue;
    // Group length and file meta elements describe the encoding of one file, not the object.
    if (tag.endsWith('0000') || tag.startsWith('0002')) continue;
    out[tag] = element;
  }
  return out;
}
