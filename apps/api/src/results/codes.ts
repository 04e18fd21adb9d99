import type { Label } from '@ich/ml/node';

/** A coded concept as DICOM writes it (Code Sequence Macro, PS3.3 Table 8.8-1). */
export interface Code {
  readonly value: string;
  readonly scheme: string;
  readonly meaning: string;
}

const sct = (value: string, meaning: string): Code => ({ value, scheme: 'SCT', meaning });
const dcm = (value: string, meaning: string): Code => ({ value, scheme: 'DCM', meaning });
const ich = (value: string, meaning: string): Code => ({ value, scheme: LOCAL_SCHEME, meaning });

/**
 * The product's own codes, for concepts no standard terminology names (a model's probability, its decision
 * threshold, its weights hash). PS3.16 8.2: private coding schemes start with "99"; the SR names this one in its
 * Coding Scheme Identification Sequence.
 */
export const LOCAL_SCHEME = '99ICHTRIAGE';

/**
 * SNOMED CT concepts for the finding of each label. Sources, checked while writing this:
 * - 1386000 |Intracranial hemorrhage (disorder)|: DICOM PS3.16's SNOMED dictionary (pydicom's `codes.SCT.
 *   IntracranialHemorrhage`, generated from the standard).
 * - 21454007 |Subarachnoid intracranial hemorrhage (disorder)|: NCBI MedGen C0038525 (SNOMED CT mappings).
 * - 35486000 |Subdural intracranial hemorrhage (disorder)|: the MR-RATE pathology list (SNOMED CT code per finding).
 * - 274100004 |Cerebral hemorrhage (disorder)| (synonym: intracerebral hemorrhage), for the RSNA label
 *   "intraparenchymal": stroke terminology tables that map intracerebral hemorrhage to it.
 * - 274110009 |Intraventricular hemorrhage (disorder)| and 62414007 |Epidural hemorrhage (disorder)|: taken from
 *   clinical code tables in public code; not checked against a SNOMED CT release on this offline machine. A
 *   terminologist should confirm these two before any clinical deployment (the README says so too).
 */
export const FINDING_CODES: Readonly<Record<Label, Code>> = {
  any: sct('1386000', 'Intracranial hemorrhage'),
  epidural: sct('62414007', 'Epidural hemorrhage'),
  intraparenchymal: sct('274100004', 'Cerebral hemorrhage'),
  intraventricular: sct('274110009', 'Intraventricular hemorrhage'),
  subarachnoid: sct('21454007', 'Subarachnoid intracranial hemorrhage'),
  subdural: sct('35486000', 'Subdural intracranial hemorrhage'),
};

/** Concept names used in the SR tree. DCM codes are PS3.16's; SCT yes/no are CID 230's. */
export const CODES = {
  /** LOINC 18748-4: the document title. */
  documentTitle: { value: '18748-4', scheme: 'LN', meaning: 'Diagnostic imaging report' } as Code,
  finding: dcm('121071', 'Finding'),
  comment: dcm('121106', 'Comment'),
  algorithmName: dcm('111001', 'Algorithm Name'),
  algorithmVersion: dcm('111003', 'Algorithm Version'),
  observerType: dcm('121005', 'Observer Type'),
  device: dcm('121007', 'Device'),
  deviceObserverUid: dcm('121012', 'Device Observer UID'),
  deviceObserverName: dcm('121013', 'Device Observer Name'),
  deviceObserverManufacturer: dcm('121014', 'Device Observer Manufacturer'),
  deviceObserverModelName: dcm('121015', 'Device Observer Model Name'),
  yes: sct('373066001', 'Yes'),
  no: sct('373067005', 'No'),
  probability: ich('PROBABILITY', 'Model probability'),
  threshold: ich('THRESHOLD', 'Model decision threshold'),
  triageFlag: ich('TRIAGE-FLAG', 'Flagged for priority review'),
  modelStatus: ich('MODEL-STATUS', 'Model status'),
  weightsHash: ich('WEIGHTS-HASH', 'Model weights hash'),
  keySlice: ich('KEY-SLICE', "Key slice (highest 'any' probability)"),
  algorithmRecord: ich('ALGORITHM', 'Algorithm'),
  noUnits: { value: '1', scheme: 'UCUM', meaning: 'no units' } as Code,
} as const;
