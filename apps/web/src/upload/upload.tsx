'use client';

import { useQuery, useSubscription } from '@apollo/client/react';
import { TagKey } from '@ich/ml/browser';
import Link from 'next/link';
import { type ChangeEvent, type DragEvent, useState } from 'react';
import { personName } from '@/components/format';
import { StatusBadge, TriageFlag } from '@/components/status';
import { StudyStatusQuery, StudyUpdatedSubscription } from '@/graphql/documents';
import { filesFromDrop } from './drop';
import { type FileOutcome, FileRows } from './file-rows';
import { groupByStudy, type Inspected, inspectFile, type StudyGroup } from './inspect';

interface StudyResult {
  id: string;
  studyInstanceUid: string;
  accepted: number;
  duplicates: number;
  rejected: { file: string; code: string; message: string }[];
  /** Per file of this study, in request order (absent from answers of older APIs). */
  files?: (FileOutcome & { sopInstanceUid: string | null })[];
}

interface GroupState {
  group: StudyGroup;
  progress: number;
  state: 'waiting' | 'uploading' | 'done' | 'failed';
  error?: string;
  results: StudyResult[];
  unassigned: StudyResult['rejected'];
}

interface UploadAnswer {
  studies: StudyResult[];
  /** Files that name no study (not DICOM, truncated, refused zip entries). */
  rejected: StudyResult['rejected'];
}

function readAnswer(body: unknown): UploadAnswer {
  const b = (body ?? {}) as Partial<UploadAnswer>;
  return { studies: Array.isArray(b.studies) ? b.studies : [], rejected: Array.isArray(b.rejected) ? b.rejected : [] };
}

function send(group: StudyGroup, onProgress: (p: number) => void): Promise<UploadAnswer> {
  const form = new FormData();
  for (const item of group.files) form.append('files', item.file, item.path);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/uploads');
    xhr.responseType = 'json';
    // At most one progress update per animation frame, however often the browser reports.
    let latest = 0;
    let frame = 0;
    xhr.upload.onprogress = (e) => {
      if (!e.lengthComputable) return;
      latest = e.loaded / e.total;
      if (!frame)
        frame = requestAnimationFrame(() => {
          frame = 0;
          onProgress(latest);
        });
    };
    xhr.onload = () => {
      if (frame) cancelAnimationFrame(frame);
      if (xhr.status === 401) {
        reject(new Error('Your session ended; sign in again and retry.'));
        return;
      }
      const body = xhr.response as { error?: { message?: string } } | null;
      // 422: nothing in the request could be stored; the answer still says why, per file.
      if (xhr.status >= 400 && xhr.status !== 422) reject(new Error(body?.error?.message ?? `HTTP ${xhr.status}`));
      else resolve(readAnswer(body));
    };
    xhr.onerror = () => reject(new Error('The upload was interrupted (network error).'));
    xhr.send(form);
  });
}

/** Every file's outcome in one answer: the studies' per-file lists, then the files that named no study. */
function outcomesOf(g: GroupState): FileOutcome[] {
  const rejected = (x: StudyResult['rejected'][number]): FileOutcome => ({ ...x, status: 'REJECTED' });
  return [...g.results.flatMap((r) => r.files ?? r.rejected.map(rejected)), ...g.unassigned.map(rejected)];
}

/** The study's status, read once and then kept current by the studyUpdated subscription until the result. */
function LiveStatus({ id }: { id: string }) {
  const { data } = useQuery(StudyStatusQuery, { variables: { id } });
  const live = useSubscription(StudyUpdatedSubscription, { variables: { id } });
  const study = live.data?.studyUpdated ?? data?.study;
  if (!study) return <span className="muted">…</span>;
  return (
    <span data-testid={`upload-status-${id}`}>
      <StatusBadge status={study.status} reason={study.failure?.message ?? study.notEligibleReason} />{' '}
      <TriageFlag triage={study.triage} />
    </span>
  );
}

export function UploadPage() {
  const [skipped, setSkipped] = useState<Inspected[]>([]);
  const [groups, setGroups] = useState<GroupState[]>([]);
  const [busy, setBusy] = useState(false);
  const [over, setOver] = useState(false);

  const take = async (files: { file: File; path: string }[]) => {
    setBusy(true);
    const { default: dicomParser } = await import('dicom-parser');
    const inspected = await Promise.all(
      files.map((f) =>
        inspectFile(f.file, f.path, (bytes) => dicomParser.parseDicom(bytes, { untilTag: TagKey.PixelData })),
      ),
    );
    setSkipped(inspected.filter((i) => i.kind === 'skipped'));
    const next = groupByStudy(inspected).map<GroupState>((group) => ({
      group,
      progress: 0,
      state: 'waiting',
      results: [],
      unassigned: [],
    }));
    setGroups(next);
    for (let i = 0; i < next.length; i++) {
      const update = (patch: Partial<GroupState>) =>
        setGroups((all) => all.map((g, j) => (j === i ? { ...g, ...patch } : g)));
      update({ state: 'uploading' });
      try {
        const answer = await send(next[i]!.group, (progress) => update({ progress }));
        update({ state: 'done', progress: 1, results: answer.studies, unassigned: answer.rejected });
      } catch (e) {
        update({ state: 'failed', error: e instanceof Error ? e.message : String(e) });
      }
    }
    setBusy(false);
  };
  const onDrop = async (event: DragEvent<HTMLElement>) => {
    event.preventDefault();
    setOver(false);
    if (!busy) await take(await filesFromDrop(event.dataTransfer.items));
  };
  const onPick = async (event: ChangeEvent<HTMLInputElement>) => {
    const files = [...(event.target.files ?? [])].map((file) => ({ file, path: file.webkitRelativePath || file.name }));
    event.target.value = '';
    if (!busy) await take(files);
  };

  return (
    <>
      <h1>Upload studies</h1>
      <section
        className={`dropzone ${over ? 'dropzone-over' : ''}`}
        aria-label="Drop DICOM files, folders or zip archives here"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
      >
        <p>Drop DICOM files, folders or .zip archives here, or choose them:</p>
        <label htmlFor="pick-files">Files or zip archives</label>
        <input id="pick-files" type="file" multiple onChange={onPick} disabled={busy} data-testid="pick-files" />
        <label htmlFor="pick-folder">A folder</label>
        <input
          id="pick-folder"
          type="file"
          multiple
          onChange={onPick}
          disabled={busy}
          {...({ webkitdirectory: '' } as Record<string, string>)}
        />
        <p className="muted small">
          Each file's patient, study and series are read here before sending; files that are not DICOM are skipped.
        </p>
      </section>
      {skipped.length > 0 ? (
        <section className="panel" aria-labelledby="skipped-heading">
          <h2 id="skipped-heading">Skipped ({skipped.length})</h2>
          <ul aria-label="Files skipped before sending">
            {skipped.map((s) => (
              <li key={s.path} data-testid="upload-skipped-row">
                {s.path}: skipped, {s.kind === 'skipped' ? s.reason : ''}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {groups.map((g) => (
        <section key={g.group.key} className="panel upload-group" aria-label={`Upload of ${g.group.studyDescription}`}>
          <h2>
            {g.group.patientName ? personName(g.group.patientName) : 'Archive'}{' '}
            <span className="muted">
              {g.group.patientId} · {g.group.studyDescription || 'study'} · {g.group.files.length} files
              {g.group.series.size ? ` · ${g.group.series.size} series` : ''}
            </span>
          </h2>
          <progress max={1} value={g.progress} aria-label="Upload progress" />{' '}
          <span role="status">
            {g.state === 'waiting'
              ? 'waiting'
              : g.state === 'uploading'
                ? `sending ${Math.round(g.progress * 100)}%`
                : g.state === 'failed'
                  ? `failed: ${g.error}`
                  : 'sent'}
          </span>
          <FileRows
            caption={`Files of ${g.group.studyDescription || 'this study'}`}
            files={g.group.files.map((f) => ({ path: f.path, size: f.file.size }))}
            fraction={g.progress}
            outcomes={g.state === 'done' ? outcomesOf(g) : null}
          />
          {g.results.map((r) => (
            <div key={r.id} className="upload-result">
              <p>
                <Link href={`/studies/${r.id}`}>Open study</Link> · {r.accepted} accepted · {r.duplicates} duplicate
                {r.duplicates === 1 ? '' : 's'} · {r.rejected.length} rejected · <LiveStatus id={r.id} />
              </p>
            </div>
          ))}
        </section>
      ))}
    </>
  );
}
