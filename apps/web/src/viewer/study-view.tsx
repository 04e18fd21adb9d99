'use client';

import { useQuery, useSubscription } from '@apollo/client/react';
import type { Label } from '@ich/ml/browser';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useMemo, useState } from 'react';
import { formatTime, percent, personName } from '@/components/format';
import { readCard } from '@/components/model-card';
import { ModelStatusNote } from '@/components/model-notice';
import { StatusBadge, TriageFlag } from '@/components/status';
import { StudyQuery, StudyUpdatedSubscription } from '@/graphql/documents';
import type { StudyQuery as Result } from '@/graphql/generated/graphql';
import { neighbour } from '@/worklist/study-order';
import { fetchFrameEarly, frameImageId, loadCornerstone } from './cornerstone';
import { formatsFromMetadata } from './frames';
import { ReviewPanel } from './review-panel';
import { type SliceScores, SliceTrack } from './slice-track';
import { StackViewer } from './stack-viewer';

type Study = NonNullable<Result['study']>;
type Series = Study['series'][number];

const ZERO: SliceScores = {
  any: 0,
  epidural: 0,
  intraparenchymal: 0,
  intraventricular: 0,
  subarachnoid: 0,
  subdural: 0,
};

/** The series the model read: the one holding the predicted slices, else the largest. */
function pickSeries(study: Study): Series | null {
  const predicted = new Set(study.prediction?.slices.map((s) => s.instanceId));
  return (
    study.series.find((s) => s.instances.some((i) => predicted.has(i.id))) ??
    [...study.series].sort((a, b) => b.instanceCount - a.instanceCount)[0] ??
    null
  );
}

function useImageIds(study: Study | null | undefined, series: Series | null) {
  const [state, setState] = useState<{ ids: string[]; error: string | null; loading: boolean }>({
    ids: [],
    error: null,
    loading: true,
  });
  useEffect(() => {
    if (!study || !series) return;
    const base = `/dicom-web/studies/${encodeURIComponent(study.studyInstanceUid)}/series/${encodeURIComponent(series.seriesInstanceUid)}`;
    let cancelled = false;
    setState({ ids: [], error: null, loading: true });
    const firstSop = series.instances[0]?.sopInstanceUid;
    if (firstSop) fetchFrameEarly(`${base}/instances/${encodeURIComponent(firstSop)}/frames/1`);
    void loadCornerstone().catch(() => undefined);
    fetch(`${base}/metadata`, { credentials: 'same-origin', headers: { accept: 'application/dicom+json' } })
      .then(async (res) => {
        if (!res.ok) throw new Error(`image metadata: HTTP ${res.status}`);
        const formats = formatsFromMetadata(await res.json());
        const ids = series.instances.map((instance) => {
          const format = formats.get(instance.sopInstanceUid);
          if (!format) throw new Error(`no metadata for image ${instance.sopInstanceUid}`);
          return frameImageId(`${base}/instances/${encodeURIComponent(instance.sopInstanceUid)}/frames/1`, format);
        });
        if (!cancelled) setState({ ids, error: null, loading: false });
      })
      .catch((e: unknown) => {
        if (!cancelled) setState({ ids: [], error: e instanceof Error ? e.message : String(e), loading: false });
      });
    return () => {
      cancelled = true;
    };
  }, [study, series]);
  return state;
}

export function StudyView({ id }: { id: string }) {
  const router = useRouter();
  const { data, loading, error, refetch } = useQuery(StudyQuery, { variables: { id } });
  // A result or status change arrives live; the page reads the study again (prediction, track, reviews).
  useSubscription(StudyUpdatedSubscription, {
    variables: { id },
    onData: () => void refetch().catch(() => undefined),
  });
  const study = data?.study;
  const series = useMemo(() => (study ? pickSeries(study) : null), [study]);
  const images = useImageIds(study, series);
  const [index, setIndex] = useState(0);
  const [trackHeight, setTrackHeight] = useState(512);

  useEffect(() => {
    const fit = () => setTrackHeight(Math.max(300, Math.min(1100, window.innerHeight - 260)));
    fit();
    window.addEventListener('resize', fit);
    return () => window.removeEventListener('resize', fit);
  }, []);

  // J / K: next and previous study in the worklist's order.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
      if (e.key !== 'j' && e.key !== 'k') return;
      const other = neighbour(id, e.key === 'j' ? 1 : -1);
      if (other) router.push(`/studies/${other}`);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [id, router]);

  const scores = useMemo(() => {
    const byInstance = new Map(study?.prediction?.slices.map((s) => [s.instanceId, s]));
    return (series?.instances ?? []).map((i) => {
      const s = byInstance.get(i.id);
      return s ? { ...ZERO, ...s } : ZERO;
    });
  }, [study, series]);

  if (error)
    return (
      <p role="alert" className="error">
        Could not load the study: {error.message}
      </p>
    );
  if (loading && !study) return <p aria-busy="true">Loading the study…</p>;
  if (!study)
    return (
      <p role="alert">
        No such study. <Link href="/">Back to the worklist</Link>
      </p>
    );

  const prediction = study.prediction;
  const card = prediction ? readCard(prediction.modelVersion.card) : null;
  const instances = series?.instances ?? [];
  const describe = (i: number) => {
    const inst = instances[i];
    return inst?.position !== null && inst?.position !== undefined ? `position ${inst.position.toFixed(1)} mm` : '';
  };
  const labels: Label[] = ['any', 'epidural', 'intraparenchymal', 'intraventricular', 'subarachnoid', 'subdural'];

  return (
    <div className="study">
      <div className="study-head">
        <h1>
          {personName(study.patient.name)} <span className="muted">{study.patient.patientId}</span>
        </h1>
        <p>
          Accession {study.accessionNumber ?? '—'} · {study.description || 'no description'} · arrived{' '}
          {formatTime(study.receivedAt)} ·{' '}
          <StatusBadge status={study.status} reason={study.failure?.message ?? study.notEligibleReason} /> ·{' '}
          <TriageFlag triage={study.triage} /> · {study.reviewed ? 'reviewed' : 'not reviewed'}
        </p>
        <p className="muted small">J / K: next / previous study in the worklist.</p>
      </div>
      <div className="study-body">
        <div className="image-column">
          {images.error ? (
            <p role="alert" className="error">
              The images cannot be shown: {images.error}
            </p>
          ) : images.loading ? (
            <p aria-busy="true">Loading images…</p>
          ) : images.ids.length === 0 ? (
            <p className="empty">This study has no images.</p>
          ) : (
            <StackViewer imageIds={images.ids} index={index} onIndex={setIndex} describe={describe} />
          )}
        </div>
        <div className="track-column">
          {prediction && card ? (
            <SliceTrack
              slices={scores}
              thresholds={card.thresholds}
              index={index}
              onIndex={setIndex}
              height={trackHeight}
            />
          ) : (
            <p className="muted">No per-slice probabilities yet.</p>
          )}
        </div>
        <aside className="side-column">
          <section className="panel" aria-labelledby="result-heading">
            <h2 id="result-heading">Model result</h2>
            {prediction && card ? (
              <>
                <ModelStatusNote
                  card={card}
                  name={prediction.modelVersion.name}
                  version={prediction.modelVersion.version}
                />
                <p>
                  <TriageFlag triage={prediction.triage} />
                </p>
                <table className="scores">
                  <caption className="visually-hidden">Study-level probabilities</caption>
                  <tbody>
                    {labels.map((l) => (
                      <tr key={l}>
                        <th scope="row">{l}</th>
                        <td>{percent(prediction[l])}</td>
                        <td className="muted">
                          {card.thresholds[l] !== undefined ? `threshold ${percent(card.thresholds[l])}` : ''}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                <p className="muted small">
                  {prediction.engine} · {formatTime(prediction.createdAt)}
                </p>
              </>
            ) : study.failure ? (
              <p className="error">Analysis failed: {study.failure.message}</p>
            ) : (
              <p className="muted">Not analyzed yet ({study.status.toLowerCase()}).</p>
            )}
          </section>
          <ReviewPanel studyId={study.id} reviews={study.reviews} />
        </aside>
      </div>
    </div>
  );
}
