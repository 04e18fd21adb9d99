import { describe, expect, it } from 'vitest';
import { frameFormat, parseFrameList } from './wado.js';

describe('frame negotiation', () => {
  it('serves decoded pixels as multipart, or bare for one frame when only octet-stream is acceptable', () => {
    expect(frameFormat(undefined, 1)).toBe('multipart');
    expect(frameFormat('*/*', 2)).toBe('multipart');
    expect(frameFormat('multipart/related; type="application/octet-stream"; transfer-syntax=*', 1)).toBe('multipart');
    expect(frameFormat('application/octet-stream', 1)).toBe('single');
    expect(frameFormat('application/octet-stream', 3)).toBe('multipart');
    expect(frameFormat('multipart/related; type="image/jls"', 1)).toBeNull();
    expect(
      frameFormat('multipart/related; type="application/octet-stream"; transfer-syntax=1.2.840.10008.1.2.4.80', 1),
    ).toBeNull();
  });

  it('reads 1-based frame lists', () => {
    expect(parseFrameList('1,3, 2')).toEqual([1, 3, 2]);
    expect(() => parseFrameList('0')).toThrow(/frames/);
    expect(() => parseFrameList('a')).toThrow(/frames/);
  });
});
