'use client';

import { useMutation, useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { formatTime } from '@/components/format';
import { readCard } from '@/components/model-card';
import { ActivateModelMutation, ActiveModelQuery, ModelVersionsQuery } from '@/graphql/documents';
import { ModelPerformance } from './model-performance';

export function ModelsAdmin() {
  const { data, loading, error } = useQuery(ModelVersionsQuery);
  const [activate, activating] = useMutation(ActivateModelMutation, {
    refetchQueries: [ModelVersionsQuery, ActiveModelQuery],
  });
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  return (
    <>
      <h1>Model versions</h1>
      {message ? (
        <p role={message.ok ? 'status' : 'alert'} className={message.ok ? 'ok' : 'error'}>
          {message.text}
        </p>
      ) : null}
      {error ? <p role="alert">Could not load models: {error.message}</p> : null}
      {loading && !data ? <p aria-busy="true">Loading models…</p> : null}
      {data && data.modelVersions.length === 0 ? <p className="empty">No model is registered.</p> : null}
      {data?.modelVersions.map((m) => {
        const card = readCard(m.card);
        return (
          <article key={m.id} className="panel model" aria-labelledby={`model-${m.id}`}>
            <h2 id={`model-${m.id}`}>
              {m.name} {m.version} {m.active ? <span className="badge status-done">active</span> : null}
            </h2>
            <p className={card.status === 'trained' ? '' : 'notice notice-warn'}>
              Status: <strong>{card.statusLabel}</strong>
              {card.status !== 'trained' ? '. Not for clinical use.' : ''}
            </p>
            <dl>
              <dt>Intended use</dt>
              <dd>{card.intendedUse || '—'}</dd>
              <dt>Training data</dt>
              <dd>{card.trainingData || '—'}</dd>
              <dt>Thresholds</dt>
              <dd>
                {Object.entries(card.thresholds)
                  .map(([k, v]) => `${k} ${v}`)
                  .join(', ') || '—'}
              </dd>
              <dt>Weights</dt>
              <dd>
                <code>{m.weightsHash}</code>
              </dd>
              <dt>Registered</dt>
              <dd>{formatTime(m.createdAt)}</dd>
            </dl>
            {card.limitations.length > 0 ? (
              <>
                <h3>Limitations</h3>
                <ul>
                  {card.limitations.map((l) => (
                    <li key={l}>{l}</li>
                  ))}
                </ul>
              </>
            ) : null}
            <h3>Metrics</h3>
            {card.metrics && Object.keys(card.metrics).length > 0 ? (
              <table className="data">
                <tbody>
                  {Object.entries(card.metrics).map(([k, v]) => (
                    <tr key={k}>
                      <th scope="row">{k}</th>
                      <td>{v.toFixed(4)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <p className="muted">The card has no metrics.</p>
            )}
            <ModelPerformance modelVersionId={m.id} label={`${m.name} ${m.version}`} />
            {card.rocImage ? (
              // biome-ignore lint/performance/noImgElement: an embedded data: picture from the card
              <img src={card.rocImage} alt={`ROC curve of ${m.name} ${m.version}`} className="roc" />
            ) : null}
            {!m.active ? (
              <button
                type="button"
                disabled={activating.loading}
                onClick={async () => {
                  const warn = card.status !== 'trained' ? ` Its card says: ${card.statusLabel}.` : '';
                  if (!window.confirm(`Make ${m.name} ${m.version} the active model for new analyses?${warn}`)) return;
                  try {
                    await activate({ variables: { id: m.id } });
                    setMessage({ ok: true, text: `${m.name} ${m.version} is now active.` });
                  } catch (e) {
                    setMessage({ ok: false, text: e instanceof Error ? e.message : String(e) });
                  }
                }}
              >
                Activate
              </button>
            ) : null}
          </article>
        );
      })}
    </>
  );
}
