import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LABELS, type LabelProbabilities, loadSlice, synthStudy } from '@ich/ml/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FINDING_CODES } from './codes.js';
import { createContext, notForClinicalUse, type ResultContext } from './context.js';
import { readNatural } from './dicom-file.js';
import { buildSr, COMPREHENSIVE_SR, decimalString } from './sr.js';
import {
  buildSummaryImage,
  KEY_SLICE_BOX,
  keySliceGray,
  SECONDARY_CAPTURE,
  SUMMARY_HEIGHT,
  SUMMARY_WIDTH,
} from './summary-image.js';
import { resultUid } from './uids.js';

/**
 * The SR and the summary image built from a real synthetic study (files decoded by @ich/ml like the worker does),
 * checked with the tools a PACS team would use: dicom3tools' dciodvfy (no errors), dcmtk's dsrdump (the tree
 * says what the prediction says), dcmjs (the naturalized data set), and the pixels of the summary image.
 */
let dir: string;
let ctx: ResultContext;
let sr: Uint8Array;
let sc: Uint8Array;
const probabilities: LabelProbabilities = {
  any: 0.8731,
  epidural: 0.0123,
  intraparenchymal: 0.6512,
  intraventricular: 0.0456,
  subarachnoid: 0.3011,
  subdural: 0.0021,
};
const thresholds: LabelProbabilities = {
  any: 0.5,
  epidural: 0.5,
  intraparenchymal: 0.5,
  intraventricular: 0.5,
  subarachnoid: 0.5,
  subdural: 0.5,
};
const anyPerSlice = [0.1, 0.35, 0.92, 0.6, 0.2, 0.05];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ich-results-unit-'));
  const synth = synthStudy({ slices: 6, size: 128, seed: 'result-objects', bleed: 'intraparenchymal' });
  const files = await Promise.all(
    synth.files.map(async (f) => {
      const file = path.join(dir, f.name);
      await writeFile(file, f.bytes);
      return file;
    }),
  );
  const key = await loadSlice(files[2] as string);
  if (!key.ok) throw new Error(key.error.message);
  ctx = createContext({
    studyInstanceUid: synth.studyInstanceUid,
    prediction: { id: 'pred-unit-1', createdAt: new Date('2026-11-30T12:34:56.789Z'), triage: true, probabilities },
    slices: synth.files.map((f, i) => ({
      sliceIndex: i,
      any: anyPerSlice[i] as number,
      instanceNumber: f.instanceNumber,
      ref: {
        sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
        sopInstanceUid: f.sopInstanceUid,
        seriesInstanceUid: synth.seriesInstanceUid,
      },
    })),
    model: { name: 'ich-inceptionv3', version: '0.0.1-test', weightsHash: `sha256:${'ab'.repeat(32)}` },
    card: { status: 'untrained', trainingData: 'none: UNTRAINED seeded random weights', thresholds },
    keyImage: key.value,
    sourceHeader: readNatural(synth.files[2]?.bytes as Uint8Array),
  });
  sr = buildSr(ctx);
  sc = buildSummaryImage(ctx);
  await writeFile(path.join(dir, 'sr.dcm'), sr);
  await writeFile(path.join(dir, 'sc.dcm'), sc);
}, 60_000);
afterAll(async () => {
  if (process.env.ICH_KEEP_RESULTS) return;
  await rm(dir, { recursive: true, force: true });
});

interface CodeItem {
  CodeValue: string;
  CodeMeaning: string;
}
interface Item {
  ValueType: string;
  ConceptNameCodeSequence: [CodeItem];
  ConceptCodeSequence: [CodeItem];
  MeasuredValueSequence: [{ NumericValue: string | number }];
  ReferencedSOPSequence: [{ ReferencedSOPInstanceUID: string }];
  ContentSequence: Item[];
}
interface SrDataset extends Record<string, unknown> {
  ContentSequence: Item[];
  CurrentRequestedProcedureEvidenceSequence: [{ ReferencedSeriesSequence: [{ ReferencedSOPSequence: unknown[] }] }];
}
interface ScDataset extends Record<string, unknown> {
  PixelData: [ArrayBuffer];
}

function dciodvfy(file: string): string {
  const run = spawnSync('dciodvfy', [file], { encoding: 'utf8' });
  return `${run.stdout}${run.stderr}`;
}

describe('result objects', () => {
  it('derives UIDs from the prediction id: stable, distinct, valid 2.25 UIDs', () => {
    const a = resultUid('p1', 'SR', 'instance');
    expect(resultUid('p1', 'SR', 'instance')).toBe(a);
    expect(
      new Set([
        a,
        resultUid('p1', 'SR', 'series'),
        resultUid('p1', 'SC', 'instance'),
        resultUid('p2', 'SR', 'instance'),
      ]).size,
    ).toBe(4);
    expect(a).toMatch(/^2\.25\.(0|[1-9]\d*)$/);
    expect(a.length).toBeLessThanOrEqual(64);
  });

  it('asks for the not-for-clinical-use statement for untrained or synthetic-only models only', () => {
    expect(notForClinicalUse({ status: 'untrained', trainingData: 'none' })).toMatch(/NOT FOR CLINICAL USE/);
    expect(notForClinicalUse({ status: 'trained', trainingData: '/data/synth: 900 synthetic slices' })).toMatch(
      /synthetic/,
    );
    expect(notForClinicalUse({ status: 'trained', trainingData: 'RSNA 2019 stage 2 train' })).toBeNull();
  });

  it('the same prediction gives the same bytes (regenerating is idempotent)', () => {
    expect(Buffer.from(buildSr(ctx)).equals(Buffer.from(sr))).toBe(true);
    expect(Buffer.from(buildSummaryImage(ctx)).equals(Buffer.from(sc))).toBe(true);
  });

  it('both validate with dciodvfy without errors', () => {
    for (const name of ['sr.dcm', 'sc.dcm']) {
      const out = dciodvfy(path.join(dir, name));
      const errors = out.split('\n').filter((l) => /^Error/.test(l));
      expect(errors, `${name}:\n${out}`).toEqual([]);
    }
  });

  it('dsrdump reads the SR: codes, probabilities, thresholds, triage, model and the statement', () => {
    const text = execFileSync('dsrdump', ['+Pl', '+Pu', path.join(dir, 'sr.dcm')], { encoding: 'utf8' });
    expect(text).toContain('Comprehensive SR');
    expect(text).toContain('Diagnostic imaging report');
    for (const label of LABELS) {
      const c = FINDING_CODES[label];
      expect(text).toContain(`(${c.value},SCT,"${c.meaning}")`);
      expect(text).toContain(`"${decimalString(probabilities[label])}"`);
    }
    expect(text).toContain('"ich-inceptionv3"');
    expect(text).toContain('"0.0.1-test"');
    expect(text).toContain(`sha256:${'ab'.repeat(32)}`);
    expect(text).toContain('NOT FOR CLINICAL USE');
    expect(text).toMatch(/Flagged for priority review.*\n?.*Yes/);
    // The key slice (highest 'any': slice 3) is referenced as an image.
    expect(text).toContain(ctx.keySlices[0]?.sopInstanceUid);
  });

  it('dcmjs re-parses the SR into the same findings', () => {
    const ds = readNatural(sr, false) as unknown as SrDataset;
    expect(ds.SOPClassUID).toBe(COMPREHENSIVE_SR);
    expect(ds.SOPInstanceUID).toBe(resultUid('pred-unit-1', 'SR', 'instance'));
    expect(ds.StudyInstanceUID).toBe(ctx.studyInstanceUid);
    expect(ds.Modality).toBe('SR');
    expect(ds.CompletionFlag).toBe('COMPLETE');
    expect(ds.VerificationFlag).toBe('UNVERIFIED');
    const evidence = ds.CurrentRequestedProcedureEvidenceSequence[0].ReferencedSeriesSequence[0].ReferencedSOPSequence;
    expect(evidence).toHaveLength(6);
    const findings: Item[] = ds.ContentSequence.filter(
      (i: Item) => i.ConceptNameCodeSequence[0].CodeValue === '121071',
    );
    expect(findings.map((f: Item) => f.ConceptCodeSequence[0].CodeValue)).toEqual(
      LABELS.map((l) => FINDING_CODES[l].value),
    );
    for (const [i, label] of LABELS.entries()) {
      const prob = (findings[i] as Item).ContentSequence.find(
        (c: Item) => c.ConceptNameCodeSequence[0].CodeValue === 'PROBABILITY',
      );
      expect(Number(prob!.MeasuredValueSequence[0].NumericValue)).toBeCloseTo(probabilities[label], 5);
      const flag = (findings[i] as Item).ContentSequence.find(
        (c: Item) => c.ConceptNameCodeSequence[0].CodeValue === 'TRIAGE-FLAG',
      );
      expect(flag!.ConceptCodeSequence[0].CodeMeaning).toBe(probabilities[label] >= thresholds[label] ? 'Yes' : 'No');
    }
    const images = (findings[0] as Item).ContentSequence.filter((c: Item) => c.ValueType === 'IMAGE');
    expect(images.map((c: Item) => c.ReferencedSOPSequence[0].ReferencedSOPInstanceUID)).toEqual(
      ctx.keySlices.map((k) => k.sopInstanceUid),
    );
    // Slices 3, 4, 2 (0-based 2, 3, 1) have the highest 'any'.
    expect(ctx.keySliceIndex).toBe(2);
  });

  it('the summary image is 8-bit RGB with burned-in annotation, the key slice drawn in the brain window', () => {
    const ds = readNatural(sc, false) as unknown as ScDataset;
    expect(ds.SOPClassUID).toBe(SECONDARY_CAPTURE);
    expect(ds.PhotometricInterpretation).toBe('RGB');
    expect(ds.SamplesPerPixel).toBe(3);
    expect(ds.BitsAllocated).toBe(8);
    expect(ds.BurnedInAnnotation).toBe('YES');
    expect([ds.Rows, ds.Columns]).toEqual([SUMMARY_HEIGHT, SUMMARY_WIDTH]);
    const pixels = new Uint8Array(ds.PixelData[0]);
    expect(pixels.length).toBe(SUMMARY_WIDTH * SUMMARY_HEIGHT * 3);
    const at = (x: number, y: number) => {
      const o = (y * SUMMARY_WIDTH + x) * 3;
      return [pixels[o], pixels[o + 1], pixels[o + 2]];
    };
    // Every 7th pixel of the 512 px box is the brain-window gray of the key slice's pixel there.
    let nonBlack = 0;
    for (let y = 0; y < KEY_SLICE_BOX.size; y += 7)
      for (let x = 0; x < KEY_SLICE_BOX.size; x += 7) {
        const want = keySliceGray(ctx.keyImage, x, y);
        expect(at(KEY_SLICE_BOX.x + x, KEY_SLICE_BOX.y + y)).toEqual([want, want, want]);
        if (want > 0) nonBlack += 1;
      }
    // The phantom's brain is in the box (not an empty frame).
    expect(nonBlack).toBeGreaterThan(500);
    // Text is drawn outside it: the header has non-background pixels.
    let header = 0;
    for (let x = 16; x < 400; x++) if (at(x, 28)[0] !== 0x0f) header += 1;
    expect(header).toBeGreaterThan(20);
  });
});
