import { LABELS, type Label, type LabelProbabilities } from '@ich/ml/node';
import { CODES, type Code, FINDING_CODES, LOCAL_SCHEME } from './codes.js';
import type { ResultContext } from './context.js';
import { type NaturalDataset, writePart10 } from './dicom-file.js';

export const COMPREHENSIVE_SR = '1.2.840.10008.5.1.4.1.1.88.33';

const code = (c: Code) => [{ CodeValue: c.value, CodingSchemeDesignator: c.scheme, CodeMeaning: c.meaning }];

/** DS (decimal string, 16 characters at most): six significant digits, enough for a probability. */
export function decimalString(n: number): string {
  return String(Number(n.toPrecision(6)));
}

function text(relationship: string, name: Code, value: string): NaturalDataset {
  return { RelationshipType: relationship, ValueType: 'TEXT', ConceptNameCodeSequence: code(name), TextValue: value };
}

function codeItem(relationship: string, name: Code, value: Code, children?: NaturalDataset[]): NaturalDataset {
  return {
    RelationshipType: relationship,
    ValueType: 'CODE',
    ConceptNameCodeSequence: code(name),
    ConceptCodeSequence: code(value),
    ...(children ? { ContentSequence: children } : {}),
  };
}

function num(relationship: string, name: Code, value: number): NaturalDataset {
  return {
    RelationshipType: relationship,
    ValueType: 'NUM',
    ConceptNameCodeSequence: code(name),
    MeasuredValueSequence: [{ NumericValue: decimalString(value), MeasurementUnitsCodeSequence: code(CODES.noUnits) }],
  };
}

/**
 * The prediction as a Comprehensive SR (PS3.3 A.35.3), one tree:
 *
 * - observation context: the observer is a device (TID 1004 items: UID, name, manufacturer, model name);
 * - "not for clinical use" comment, whenever the model card calls for one (see `notForClinicalUse`);
 * - the study's triage result (flagged for priority review: Yes/No);
 * - the algorithm: name, version, status (+ training data), weights hash;
 * - per label, a Finding coded in SNOMED CT with the model's probability, the card's threshold and whether it is
 *   flagged at that threshold; the intracranial hemorrhage ('any') finding is INFERRED FROM the key slices.
 *
 * Current Requested Procedure Evidence lists every slice the model read. dciodvfy checks the IOD, dsrdump and
 * dcmjs read it (test/integration/results).
 */
export function buildSr(ctx: ResultContext): Uint8Array {
  const { prediction, model, keySlices, uids } = ctx;
  const probabilities: LabelProbabilities = prediction.probabilities;
  const findings = LABELS.map((label: Label) => {
    const flagged = probabilities[label] >= model.thresholds[label];
    const children: NaturalDataset[] = [
      num('HAS PROPERTIES', CODES.probability, probabilities[label]),
      num('HAS PROPERTIES', CODES.threshold, model.thresholds[label]),
      codeItem('HAS PROPERTIES', CODES.triageFlag, flagged ? CODES.yes : CODES.no),
    ];
    if (label === 'any')
      for (const slice of keySlices)
        children.push({
          RelationshipType: 'INFERRED FROM',
          ValueType: 'IMAGE',
          ConceptNameCodeSequence: code(CODES.keySlice),
          ReferencedSOPSequence: [
            { ReferencedSOPClassUID: slice.sopClassUid, ReferencedSOPInstanceUID: slice.sopInstanceUid },
          ],
        });
    return codeItem('CONTAINS', CODES.finding, FINDING_CODES[label], children);
  });

  const content: NaturalDataset[] = [
    codeItem('HAS OBS CONTEXT', CODES.observerType, CODES.device),
    {
      RelationshipType: 'HAS OBS CONTEXT',
      ValueType: 'UIDREF',
      ConceptNameCodeSequence: code(CODES.deviceObserverUid),
      UID: uids.device,
    },
    text('HAS OBS CONTEXT', CODES.deviceObserverName, ctx.equipment.deviceName),
    text('HAS OBS CONTEXT', CODES.deviceObserverManufacturer, ctx.equipment.manufacturer),
    text('HAS OBS CONTEXT', CODES.deviceObserverModelName, `${model.name} ${model.version}`),
    ...(model.notForClinicalUse ? [text('CONTAINS', CODES.comment, model.notForClinicalUse)] : []),
    codeItem('CONTAINS', CODES.triageFlag, prediction.triage ? CODES.yes : CODES.no),
    {
      RelationshipType: 'CONTAINS',
      ValueType: 'CONTAINER',
      ConceptNameCodeSequence: code(CODES.algorithmRecord),
      ContinuityOfContent: 'SEPARATE',
      ContentSequence: [
        text('CONTAINS', CODES.algorithmName, model.name),
        text('CONTAINS', CODES.algorithmVersion, model.version),
        text('CONTAINS', CODES.modelStatus, `${model.status}; training data: ${model.trainingData}`),
        text('CONTAINS', CODES.weightsHash, model.weightsHash),
      ],
    },
    ...findings,
  ];

  const evidence = [...groupBySeries(ctx.evidence)].map(([seriesUid, instances]) => ({
    ReferencedSOPSequence: instances.map((i) => ({
      ReferencedSOPClassUID: i.sopClassUid,
      ReferencedSOPInstanceUID: i.sopInstanceUid,
    })),
    SeriesInstanceUID: seriesUid,
  }));

  const dataset: NaturalDataset = {
    ...ctx.commonAttributes('SR'),
    SOPClassUID: COMPREHENSIVE_SR,
    SOPInstanceUID: uids.srInstance,
    SeriesInstanceUID: uids.srSeries,
    Modality: 'SR',
    SeriesNumber: ctx.series.SR.number,
    SeriesDescription: ctx.series.SR.description,
    InstanceNumber: 1,
    ReferencedPerformedProcedureStepSequence: [],
    ValueType: 'CONTAINER',
    ConceptNameCodeSequence: code(CODES.documentTitle),
    ContinuityOfContent: 'SEPARATE',
    CompletionFlag: 'COMPLETE',
    VerificationFlag: 'UNVERIFIED',
    PerformedProcedureCodeSequence: [],
    CurrentRequestedProcedureEvidenceSequence: [
      { ReferencedSeriesSequence: evidence, StudyInstanceUID: ctx.studyInstanceUid },
    ],
    CodingSchemeIdentificationSequence: [
      {
        CodingSchemeDesignator: LOCAL_SCHEME,
        CodingSchemeName: 'ICH triage local codes',
        CodingSchemeResponsibleOrganization: ctx.equipment.manufacturer,
      },
    ],
    ContentSequence: content,
  };
  return writePart10(dataset);
}

function groupBySeries<T extends { seriesInstanceUid: string }>(items: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const list = out.get(item.seriesInstanceUid) ?? [];
    list.push(item);
    out.set(item.seriesInstanceUid, list);
  }
  return out;
}
