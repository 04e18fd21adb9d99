import dicomParser from 'dicom-parser';
import { describe, expect, it } from 'vitest';
import { synthStudy } from '../synth/study.js';
import { Tag, TagKey, type TagKeyword } from './tags.js';

describe('DICOM tag table', () => {
  it("names each tag as dicom-parser does: 'x' and eight lower-case hex digits", () => {
    expect(TagKey.StudyInstanceUID).toBe('x0020000d');
    expect(TagKey.RescaleSlope).toBe('x00281053');
    expect(TagKey.PixelData).toBe('x7fe00010');
    expect(TagKey.FileMetaInformationGroupLength).toBe('x00020000');
    for (const keyword of Object.keys(Tag) as TagKeyword[])
      expect(TagKey[keyword]).toBe(`x${Tag[keyword].toString(16).padStart(8, '0')}`);
    expect(new Set(Object.values(Tag)).size).toBe(Object.keys(Tag).length);
  });

  it('finds every element the synthetic writer wrote under its key', () => {
    const file = synthStudy({ seed: 'tags', slices: 1, size: 16 }).files[0]?.bytes as Uint8Array;
    const ds = dicomParser.parseDicom(file);
    const absent = (Object.keys(Tag) as TagKeyword[]).filter((k) => !ds.elements[TagKey[k]]);
    // A synthetic CT slice is single-frame, pixel-interleaved and ageless: these three are the only ones left out.
    expect(absent.sort()).toEqual(['NumberOfFrames', 'PatientAge', 'PlanarConfiguration']);
    expect(ds.uint16(TagKey.Rows)).toBe(16);
    expect(ds.string(TagKey.Modality)).toBe('CT');
  });
});
