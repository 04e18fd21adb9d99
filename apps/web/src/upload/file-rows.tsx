'use client';

import { memo } from 'react';

/** One file's outcome in the upload answer (a study's `files`, or a top-level rejection). */
export interface FileOutcome {
  file: string;
  status: 'ACCEPTED' | 'DUPLICATE' | 'REJECTED';
  code?: string;
  message?: string;
}

export interface SentFile {
  path: string;
  size: number;
}

/**
 * How far each file is: files go in request order, so the bytes sent so far (scaled from the request's total, which
 * also counts the multipart headers) say which files are through and which one is on the wire.
 */
export function fileProgress(files: readonly SentFile[], fraction: number): number[] {
  const total = files.reduce((n, f) => n + f.size, 0);
  let offset = 0;
  const sent = fraction * total;
  return files.map((f) => {
    const start = offset;
    offset += f.size;
    if (f.size === 0) return sent >= start ? 1 : 0;
    return Math.min(1, Math.max(0, (sent - start) / f.size));
  });
}

const Row = memo(function Row({ path, progress, outcome }: { path: string; progress: number; outcome?: FileOutcome }) {
  return (
    <tr data-testid="upload-file-row" data-status={outcome?.status ?? ''}>
      <th scope="row">{path}</th>
      <td>
        {outcome ? (
          <span className={outcome.status === 'REJECTED' ? 'error' : undefined}>
            {outcome.status}
            {outcome.code ? ` ${outcome.code}` : ''}
            {outcome.message ? `: ${outcome.message}` : ''}
          </span>
        ) : (
          <progress
            max={100}
            value={Math.round(progress * 100)}
            aria-label={`Sending ${path}`}
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={Math.round(progress * 100)}
          />
        )}
      </td>
    </tr>
  );
});

/**
 * One row per file of a request: progress while it is sent, then its outcome. Outcomes naming files not in the
 * request (zip entries, `archive.zip/entry/path`) get rows of their own. Rows are memoized so a progress frame
 * re-renders only the files whose progress changed.
 */
export function FileRows({
  caption,
  files,
  fraction,
  outcomes,
}: {
  caption: string;
  files: readonly SentFile[];
  fraction: number;
  outcomes: readonly FileOutcome[] | null;
}) {
  const progress = fileProgress(files, fraction);
  const byName = new Map((outcomes ?? []).map((o) => [o.file, o]));
  const sent = new Set(files.map((f) => f.path));
  const extra = (outcomes ?? []).filter((o) => !sent.has(o.file));
  return (
    <table className="upload-files">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">File</th>
          <th scope="col">Result</th>
        </tr>
      </thead>
      <tbody>
        {files.map((f, i) => (
          <Row key={f.path} path={f.path} progress={progress[i] ?? 0} outcome={byName.get(f.path)} />
        ))}
        {extra.map((o) => (
          <Row key={o.file} path={o.file} progress={1} outcome={o} />
        ))}
      </tbody>
    </table>
  );
}
