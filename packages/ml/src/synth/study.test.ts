import { describe, expect, it } from 'vitest';
import { decodeNativeFrame } from '../decode/native.js';
import { decodeRleFrame } from '../decode/rle.js';
import { encapsulatedFrameBytes } from '../dicom/frames.js';
import { parseDicom } from '../dicom/parse.js';
import type { StoredArray } from '../dicom/types.js';
import { toHounsfield } from '../hu/to-hounsfield.js';
import { LABELS } from '../labels.js';
import { BLEED_TYPES } from './phantom.js';
import { SYNTH_SYNTAXES, synthStudy } from './study.js';

describe('synthStudy', () => {
  it('is deterministic from its seed and distinct across seeds', () => {
    const a = synthStudy({ seed: 42, slices: 4, size: 32 });
    const b = synthStudy({ seed: 42, slices: 4, size: 32 });
    const c = synthStudy({ seed: 43, slices: 4, size: 32 });
    expect(a.studyInstanceUid).toBe(b.studyInstanceUid);
    expect(a.files.map((f) => f.sopInstanceUid)).toEqual(b.files.map((f) => f.sopInstanceUid));
    expect(Buffer.from(a.files[2]?.bytes ?? []).equals(Buffer.from(b.files[2]?.bytes ?? []))).toBe(true);
    expect(c.studyInstanceUid).not.toBe(a.studyInstanceUid);
    expect(a.studyInstanceUid).toMatch(/^2\.25\.\d{1,39}$/);
    expect(new Set(a.files.map((f) => f.sopInstanceUid)).size).toBe(4);
  });

  it('draws plausible anatomy: air, skull, brain, ventricular CSF', () => {
    const study = synthStudy({ seed: 1, slices: 20, size: 128, bleed: 'none' });
    const mid = study.files[10]?.hu as Int16Array;
    const at = (x: number, y: number) => mid[y * 128 + x] as number;
    expect(at(0, 0)).toBe(-1000);
    const values = Array.from(mid);
    expect(values.filter((v) => v > 1000).length).toBeGreaterThan(500);
    const brain = values.filter((v) => v >= 15 && v <= 50).length;
    expect(brain).toBeGreaterThan(3000);
    expect(values.filter((v) => v >= -5 && v <= 14).length).toBeGreaterThan(20);
    expect(Object.values(study.labels).every((v) => v === 0)).toBe(true);
  });

  it.each(BLEED_TYPES)('labels a %s bleed on the slices where it shows, with blood densities', (type) => {
    const study = synthStudy({ seed: `bleed-${type}`, slices: 24, size: 128, bleed: type });
    const positive = study.files.filter((f) => f.labels[type] === 1);
    expect(positive.length).toBeGreaterThan(0);
    for (const f of study.files) {
      expect(f.labels.any).toBe(Math.max(...BLEED_TYPES.map((t) => f.labels[t])));
      for (const other of BLEED_TYPES.filter((t) => t !== type)) expect(f.labels[other]).toBe(0);
    }
    expect(study.labels[type]).toBe(1);
    const spec = study.bleeds[0];
    expect(spec?.hu).toBeGreaterThanOrEqual(50);
    expect(spec?.hu).toBeLessThanOrEqual(90);
    // Blood-density pixels appear on positive slices in a bleed-free copy's brain they are absent.
    const clean = synthStudy({ seed: `bleed-${type}`, slices: 24, size: 128, bleed: 'none' });
    const k = study.files.indexOf(positive[Math.floor(positive.length / 2)] as (typeof study.files)[number]);
    const changed = Array.from(study.files[k]?.hu ?? []).filter((v, i) => v !== clean.files[k]?.hu[i]);
    expect(changed.length).toBeGreaterThan(3);
    // Edge pixels take partial-volume values (blood against bone is brighter than either mix with brain), so
    // the typical changed pixel, not the mean, has the density of blood.
    const median = [...changed].sort((a, b) => a - b)[Math.floor(changed.length / 2)]!;
    expect(median).toBeGreaterThan(40);
    expect(median).toBeLessThan(100);
  });

  it.each(['signed', 'unsigned', 'rsna-quirk'] as const)(
    'encodes the known HU exactly with the %s encoding in every syntax it writes',
    (encoding) => {
      for (const syntax of Object.keys(SYNTH_SYNTAXES) as (keyof typeof SYNTH_SYNTAXES)[]) {
        const study = synthStudy({ seed: 9, slices: 2, size: 48, bleed: 'subdural', transferSyntax: syntax, encoding });
        const f = study.files[1];
        const parsed = parseDicom(f?.bytes ?? new Uint8Array());
        expect(parsed.ok, `${syntax}/${encoding}`).toBe(true);
        if (!parsed.ok || !f) continue;
        expect(parsed.value.attrs.transferSyntaxUid).toBe(SYNTH_SYNTAXES[syntax]);
        let values: StoredArray | null;
        if (syntax === 'rle') {
          const frame = encapsulatedFrameBytes(parsed.value, 0);
          const r = frame.ok ? decodeRleFrame(frame.value, 48, 48, 16, encoding === 'signed') : frame;
          values = r.ok ? r.value : null;
        } else {
          const r = decodeNativeFrame(parsed.value, 0, syntax === 'explicit-be');
          values = r.ok ? r.value.values : null;
        }
        expect(values).not.toBeNull();
        const hu = toHounsfield(values as StoredArray, parsed.value.attrs);
        expect(Array.from(hu)).toEqual(Array.from(f.hu));
      }
    },
  );

  it('records the six labels in model order', () => {
    const study = synthStudy({ seed: 3, slices: 2, size: 32 });
    expect(Object.keys(study.files[0]?.labels ?? {})).toEqual([...LABELS]);
  });
});

describe('harder phantoms', () => {
  it('has a bony skull base low in the head and dense calcifications (never labelled) higher up', () => {
    let calcified = 0;
    for (const seed of ['h1', 'h2', 'h3', 'h4']) {
      const study = synthStudy({ seed, slices: 20, size: 96, bleed: 'none' });
      const low = Array.from(study.files[3]!.hu);
      const mid = Array.from(study.files[10]!.hu);
      // Skull base: bone inside the skull ring (petrous ridges, clivus) and air in the sinuses.
      const inner = (hu: number[]) => hu.filter((_, i) => Math.hypot((i % 96) - 48, Math.floor(i / 96) - 48) < 20);
      expect(inner(low).filter((v) => v > 600).length).toBeGreaterThan(10);
      // Partial volume: values between brain and bone at the inner table.
      expect(mid.filter((v) => v > 200 && v < 900).length).toBeGreaterThan(20);
      if (study.files.some((f) => inner(Array.from(f.hu)).some((v) => v > 100 && v < 600))) calcified++;
      expect(study.files.every((f) => f.labels.any === 0)).toBe(true);
    }
    expect(calcified).toBeGreaterThan(0);
  });
});
