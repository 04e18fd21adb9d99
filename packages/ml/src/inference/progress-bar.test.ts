import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ProgressBar } from './progress-bar.js';

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      text += String(chunk);
      callback();
    },
  });
  return { stream, text: () => text };
}

describe('ProgressBar', () => {
  it('redraws one line with \\r on a terminal and ends it with a newline', () => {
    const out = sink();
    const bar = new ProgressBar('files', out.stream, 10, true);
    bar.update(0, 4);
    bar.update(4, 4);
    bar.done();
    expect(out.text()).toBe('\rfiles [..........] 0/4\rfiles [##########] 4/4\n');
  });

  it('writes plain lines, at most one per tenth of the work, when the stream is not a terminal', () => {
    const out = sink();
    const bar = new ProgressBar('files', out.stream, 10, false);
    for (let i = 0; i <= 1000; i += 1) bar.update(i, 1000, 'files');
    bar.done();
    const lines = out.text().split('\n').filter(Boolean);
    expect(out.text()).not.toContain('\r');
    expect(lines.length).toBe(11);
    expect(lines[0]).toBe('files: 0/1000 files (0%)');
    expect(lines.at(-1)).toBe('files: 1000/1000 files (100%)');
  });

  it('decides from the stream: a file or pipe is not a terminal', () => {
    const out = sink();
    const bar = new ProgressBar('x', out.stream);
    bar.update(1, 2);
    expect(out.text()).toBe('x: 1/2 (50%)\n');
  });
});
