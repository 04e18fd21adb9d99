import { describe, expect, it } from 'vitest';
import { fileProgress } from './file-rows';

describe('fileProgress', () => {
  const files = [
    { path: 'a.dcm', size: 100 },
    { path: 'b.dcm', size: 300 },
    { path: 'c.dcm', size: 600 },
  ];

  it('marks files before the byte offset sent, the one at it partly sent, and the rest waiting', () => {
    expect(fileProgress(files, 0)).toEqual([0, 0, 0]);
    expect(fileProgress(files, 0.25)).toEqual([1, 0.5, 0]);
    expect(fileProgress(files, 1)).toEqual([1, 1, 1]);
  });

  it('never leaves 0..1, even past the end', () => {
    expect(fileProgress(files, 1.5)).toEqual([1, 1, 1]);
    expect(fileProgress([], 0.5)).toEqual([]);
  });
});
