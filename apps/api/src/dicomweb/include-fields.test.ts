import { describe, expect, it } from 'vitest';
import type { DicomJson } from './dicom-json.js';
import { extraAttributes, needsHeader, parseIncludeFields, tagOf } from './include-fields.js';

const header: DicomJson = {
  '00020010': { vr: 'UI', Value: ['1.2.840.10008.1.2.1'] },
  '00080018': { vr: 'UI', Value: ['1.2.3.4'] },
  '00080070': { vr: 'LO', Value: ['ICH SYNTHETIC PHANTOM'] },
  '00100010': { vr: 'PN', Value: [{ Alphabetic: 'FROM^FILE' }] },
  '00180015': { vr: 'CS', Value: ['HEAD'] },
  '00200032': { vr: 'DS', Value: [0, 0, 5] },
  '00280010': { vr: 'US', Value: [512] },
  '00291010': { vr: 'OB', InlineBinary: 'AAAA' },
};

describe('includefield', () => {
  it('reads keywords, tags, comma lists and all; names what is not an attribute', () => {
    expect(parseIncludeFields(['BodyPartExamined,00080070', ' 0020000e ', 'NotAKeyword', 'constructor'])).toEqual({
      all: false,
      tags: ['00180015', '00080070', '0020000E'],
      unknown: ['NotAKeyword', 'constructor'],
    });
    expect(parseIncludeFields(['all']).all).toBe(true);
    expect(tagOf('PatientName')).toBe('00100010');
    expect(tagOf('0010001')).toBeNull();
  });

  it('caps how many names one request may list', () => {
    const many = Array.from({ length: 300 }, (_, n) => `Bogus${n}`).join(',');
    const parsed = parseIncludeFields([many]);
    expect(parsed.unknown).toHaveLength(257);
    expect(parsed.unknown.at(-1)).toBe('(44 more names not read)');
  });

  it('adds only what the row lacks, never replacing the database values, and never bulk or binary data', () => {
    const row: DicomJson = { '00100010': { vr: 'PN', Value: [{ Alphabetic: 'FROM^DATABASE' }] } };
    const include = parseIncludeFields(['PatientName,BodyPartExamined,PixelData,00291010']);
    expect(needsHeader(include, row)).toBe(true);
    expect(extraAttributes(include, row, header, 'instance')).toEqual({ '00180015': { vr: 'CS', Value: ['HEAD'] } });
    expect(needsHeader(parseIncludeFields(['PatientName']), row)).toBe(false);
  });

  it('all: the study level gets study and patient attributes only; the instance level the whole header', () => {
    const all = parseIncludeFields(['all']);
    expect(Object.keys(extraAttributes(all, {}, header, 'study'))).toEqual(['00100010']);
    expect(Object.keys(extraAttributes(all, {}, header, 'series'))).toEqual(['00080070', '00100010', '00180015']);
    expect(Object.keys(extraAttributes(all, {}, header, 'instance'))).toEqual([
      '00080018',
      '00080070',
      '00100010',
      '00180015',
      '00200032',
      '00280010',
    ]);
  });
});
