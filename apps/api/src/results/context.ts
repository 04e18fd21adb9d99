import type { ModelCard } from '@ich/ml/node';
import { LABELS, type LabelProbabilities, type LoadedSlice } from '@ich/ml/node';
import type { NaturalDataset } from './dicom-file.js';
import { resultUid } from './uids.js';

/** Series numbers well after a scanner's own, so viewers list the product's series last. */
export const SERIES = {
  SR: { number: 9901, description: 'ICH triage AI report (not for diagnosis)' },
  SC: { number: 9902, description: 'ICH triage AI summary image (not for diagnosis)' },
} as const;

export const EQUIPMENT = { manufacturer: 'ICH triage project', deviceName: 'ICH triage', softwareVersion: '0.1.0' };

/** Patient and study attributes copied from the analyzed CT, so the result objects join the same study in a PACS. */
const COPIED = [
  'PatientName',
  'PatientID',
  'IssuerOfPatientID',
  'PatientBirthDate',
  'PatientSex',
  'StudyDate',
  'StudyTime',
  'ReferringPhysicianName',
  'StudyID',
  'AccessionNumber',
  'StudyDescription',
] as const;
/** Type 2 among them: present, empty when the CT had no value. */
const TYPE2 = new Set([
  'PatientName',
  'PatientID',
  'PatientBirthDate',
  'PatientSex',
  'StudyDate',
  'StudyTime',
  'ReferringPhysicianName',
  'StudyID',
  'AccessionNumber',
]);

/** A referenced CT slice (SOP class and instance, its series). */
export interface SliceRef {
  sopClassUid: string;
  sopInstanceUid: string;
  seriesInstanceUid: string;
}

/** The model as the result objects describe it (from the registered version and its card). */
export interface ResultModel {
  name: string;
  version: string;
  status: string;
  trainingData: string;
  weightsHash: string;
  thresholds: LabelProbabilities;
  /** The statement to carry, or null when the card calls for none (see `notForClinicalUse`). */
  notForClinicalUse: string | null;
}

/** Everything both objects are built from; `generate.ts` assembles it from the database and the key slice file. */
export interface ResultContext {
  studyInstanceUid: string;
  prediction: {
    id: string;
    createdAt: Date;
    triage: boolean;
    probabilities: LabelProbabilities;
    /** Per slice, in slice order. */
    slices: { sliceIndex: number; any: number; ref: SliceRef; instanceNumber: number | null }[];
  };
  model: ResultModel;
  /** The slices with the highest 'any' probability, highest first (the first is the summary image's key slice). */
  keySlices: SliceRef[];
  /** The key slice decoded to HU. */
  keyImage: Pick<LoadedSlice, 'rows' | 'columns' | 'hu'>;
  keySliceIndex: number;
  /** Every slice the model read (Current Requested Procedure Evidence). */
  evidence: SliceRef[];
  uids: { srSeries: string; srInstance: string; scSeries: string; scInstance: string; device: string };
  series: Record<'SR' | 'SC', { number: number; description: string }>;
  equipment: { manufacturer: string; deviceName: string; softwareVersion: string };
  /** Patient, study, equipment and SOP common attributes shared by both objects. */
  commonAttributes(kind: 'SR' | 'SC'): NaturalDataset;
}

/**
 * The statement a result object carries when the model's card calls for one: an untrained model (seeded random
 * weights), any status other than 'trained', or a model trained on synthetic data only. The web app shows the same
 * rule (apps/web model-notice).
 */
export function notForClinicalUse(card: { status: string; trainingData: string }): string | null {
  const synthetic = /synthetic|phantom/i.test(card.trainingData);
  if (card.status === 'trained' && !synthetic) return null;
  const why =
    card.status === 'untrained'
      ? 'the model is UNTRAINED (seeded random weights)'
      : synthetic
        ? 'the model was trained on synthetic data only'
        : `the model's status is ${card.status}`;
  return `NOT FOR CLINICAL USE: ${why}; its outputs are not diagnoses.`;
}

/** How many key slices the SR references. */
export const KEY_SLICES = 3;

/** The slice indexes with the highest 'any', highest first; ties go to the lower slice index. */
export function keySliceOrder(slices: readonly { sliceIndex: number; any: number }[], count = KEY_SLICES): number[] {
  return [...slices]
    .sort((a, b) => b.any - a.any || a.sliceIndex - b.sliceIndex)
    .slice(0, count)
    .map((s) => s.sliceIndex);
}

export function probabilitiesOf(row: Record<(typeof LABELS)[number], number>): LabelProbabilities {
  return Object.fromEntries(LABELS.map((l) => [l, row[l]])) as LabelProbabilities;
}

export interface ContextInput {
  studyInstanceUid: string;
  prediction: { id: string; createdAt: Date; triage: boolean; probabilities: LabelProbabilities };
  /** In slice order. */
  slices: ResultContext['prediction']['slices'];
  model: { name: string; version: string; weightsHash: string };
  card: Pick<ModelCard, 'status' | 'trainingData' | 'thresholds'>;
  /** The key slice (highest 'any') decoded to HU. */
  keyImage: ResultContext['keyImage'];
  /** The key slice's header, naturalized: patient and study attributes are copied from it. */
  sourceHeader: NaturalDataset;
}

/** The context both objects are built from; pure (the same input gives the same bytes). */
export function createContext(input: ContextInput): ResultContext {
  const { prediction: p, slices, model, card, sourceHeader } = input;
  const order = keySliceOrder(slices);
  const at = (i: number) => slices.find((s) => s.sliceIndex === i) as (typeof slices)[number];
  const keySlice = at(order[0] as number);
  const iso = p.createdAt.toISOString();
  const date = iso.slice(0, 10).replaceAll('-', '');
  const time = iso.slice(11, 23).replaceAll(':', '');
  return {
    studyInstanceUid: input.studyInstanceUid,
    prediction: { ...p, slices },
    model: {
      ...model,
      status: card.status,
      trainingData: card.trainingData,
      thresholds: card.thresholds,
      notForClinicalUse: notForClinicalUse(card),
    },
    keySlices: order.map((i) => at(i).ref),
    keyImage: input.keyImage,
    keySliceIndex: slices.indexOf(keySlice),
    evidence: slices.map((s) => s.ref),
    uids: {
      srSeries: resultUid(p.id, 'SR', 'series'),
      srInstance: resultUid(p.id, 'SR', 'instance'),
      scSeries: resultUid(p.id, 'SC', 'series'),
      scInstance: resultUid(p.id, 'SC', 'instance'),
      device: resultUid(`${model.name}@${model.version}`, 'SR', 'series'),
    },
    series: SERIES,
    equipment: EQUIPMENT,
    commonAttributes: () => {
      const copied: NaturalDataset = {};
      for (const key of COPIED) {
        const value = sourceHeader[key];
        if (value !== undefined && value !== null && value !== '') copied[key] = value;
        else if (TYPE2.has(key)) copied[key] = '';
      }
      return {
        SpecificCharacterSet: 'ISO_IR 192',
        InstanceCreationDate: date,
        InstanceCreationTime: time,
        TimezoneOffsetFromUTC: '+0000',
        ...copied,
        StudyInstanceUID: input.studyInstanceUid,
        ContentDate: date,
        ContentTime: time,
        Manufacturer: EQUIPMENT.manufacturer,
        ManufacturerModelName: EQUIPMENT.deviceName,
        SoftwareVersions: EQUIPMENT.softwareVersion,
      };
    },
  };
}
