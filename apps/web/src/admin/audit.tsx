'use client';

import { useQuery } from '@apollo/client/react';
import { type FormEvent, useState } from 'react';
import { formatTime } from '@/components/format';
import { AuditEventsQuery, VerifyAuditLogQuery } from '@/graphql/documents';
import type { AuditFilter } from '@/graphql/generated/graphql';

/**
 * The API refuses an export authorized by the session cookie alone (a cross-site link would carry it under
 * SameSite=Lax), so the download is a fetch with the preflight header, saved from a blob.
 */
function ExportButton({ format, query, label }: { format: 'csv' | 'fhir'; query: string; label: string }) {
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  const download = async () => {
    setState({ busy: true, error: null });
    try {
      const response = await fetch(`/api/audit/export?format=${format}&${query}`, {
        credentials: 'same-origin',
        headers: { 'apollo-require-preflight': 'true' },
      });
      if (!response.ok) {
        const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
        throw new Error(body?.error?.message ?? `HTTP ${response.status}`);
      }
      const url = URL.createObjectURL(await response.blob());
      const a = document.createElement('a');
      a.href = url;
      a.download = `audit-log.${format === 'csv' ? 'csv' : 'fhir.json'}`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setState({ busy: false, error: null });
    } catch (error) {
      setState({ busy: false, error: (error as Error).message });
    }
  };
  return (
    <>
      <button
        type="button"
        className="link"
        onClick={() => void download()}
        disabled={state.busy}
        aria-busy={state.busy}
      >
        {label}
      </button>
      {state.error ? <span role="alert"> Export failed: {state.error}</span> : null}
    </>
  );
}

function ChainStatus() {
  const { data, loading, error, refetch } = useQuery(VerifyAuditLogQuery, { fetchPolicy: 'network-only' });
  const v = data?.verifyAuditLog;
  return (
    <section className={`panel chain ${v ? (v.ok ? 'chain-ok' : 'chain-broken') : ''}`} aria-live="polite">
      <h2>Hash chain</h2>
      {error ? <p role="alert">Verification failed to run: {error.message}</p> : null}
      {loading && !v ? <p aria-busy="true">Verifying…</p> : null}
      {v ? (
        v.ok ? (
          <p data-testid="chain-status">
            <strong>Chain verified</strong>: {v.checked} events, none altered or missing.
          </p>
        ) : (
          <p data-testid="chain-status" role="alert">
            <strong>Chain broken</strong> at event {v.firstBrokenSeq}: {v.reason}
          </p>
        )
      ) : null}
      {v ? (
        <p className="muted">
          Checked in the background at {new Date(v.verifiedAt).toLocaleString()}
          {v.running ? '; a newer check is running — ask again for its result.' : '.'}
        </p>
      ) : null}
      <button type="button" onClick={() => void refetch()}>
        Verify again
      </button>
    </section>
  );
}

export function AuditAdmin() {
  const [filter, setFilter] = useState<AuditFilter>({});
  const { data, loading, error, fetchMore } = useQuery(AuditEventsQuery, { variables: { filter, first: 50 } });
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (k: string) => String(form.get(k) ?? '').trim() || undefined;
    const day = (k: string, plus = 0) => {
      const v = text(k);
      return v ? new Date(new Date(`${v}T00:00`).getTime() + plus).toISOString() : undefined;
    };
    setFilter({
      actorId: text('actor'),
      action: text('action'),
      patientId: text('patient'),
      studyId: text('study'),
      from: day('from'),
      to: day('to', 86_400_000),
    });
  };
  const exportQuery = new URLSearchParams(
    Object.entries(filter).filter((e): e is [string, string] => typeof e[1] === 'string'),
  ).toString();
  return (
    <>
      <h1>Audit log</h1>
      <ChainStatus />
      <form className="filters" onSubmit={onSubmit} aria-label="Filter audit events">
        <div>
          <label htmlFor="a-actor">User id</label>
          <input id="a-actor" name="actor" />
        </div>
        <div>
          <label htmlFor="a-action">Action</label>
          <input id="a-action" name="action" placeholder="e.g. study.read" />
        </div>
        <div>
          <label htmlFor="a-patient">Patient id</label>
          <input id="a-patient" name="patient" />
        </div>
        <div>
          <label htmlFor="a-study">Study id</label>
          <input id="a-study" name="study" />
        </div>
        <div>
          <label htmlFor="a-from">From</label>
          <input id="a-from" name="from" type="date" />
        </div>
        <div>
          <label htmlFor="a-to">To</label>
          <input id="a-to" name="to" type="date" />
        </div>
        <button type="submit">Apply</button>
      </form>
      <p>
        Export: <ExportButton format="csv" query={exportQuery} label="CSV" /> ·{' '}
        <ExportButton format="fhir" query={exportQuery} label="FHIR AuditEvent bundle" />
      </p>
      {error ? <p role="alert">Could not load audit events: {error.message}</p> : null}
      {loading && !data ? <p aria-busy="true">Loading events…</p> : null}
      {data ? <p className="muted">{data.auditEvents.totalCount} events, newest first</p> : null}
      {data && data.auditEvents.edges.length === 0 ? <p className="empty">No events match.</p> : null}
      {data && data.auditEvents.edges.length > 0 ? (
        <table className="data audit">
          <caption className="visually-hidden">Audit events</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Time</th>
              <th scope="col">Who</th>
              <th scope="col">Action</th>
              <th scope="col">Outcome</th>
              <th scope="col">Resource</th>
              <th scope="col">Study / patient</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {data.auditEvents.edges.map(({ node: e }) => (
              <tr key={e.id} data-action={e.action}>
                <td>{e.seq}</td>
                <td>{formatTime(e.at)}</td>
                <td>{e.actorLabel}</td>
                <td>{e.action}</td>
                <td className={e.outcome === 'FAILURE' ? 'error' : ''}>{e.outcome.toLowerCase()}</td>
                <td>{e.resourceType ? `${e.resourceType} ${e.resourceId ?? ''}` : '—'}</td>
                <td>{[e.studyId, e.patientId].filter(Boolean).join(' / ') || '—'}</td>
                <td className="details">
                  <code>{e.details === '{}' ? '' : e.details.slice(0, 200)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {data?.auditEvents.pageInfo.hasNextPage ? (
        <button
          type="button"
          onClick={() =>
            fetchMore({
              variables: { after: data.auditEvents.pageInfo.endCursor },
              updateQuery: (prev, { fetchMoreResult }) => ({
                auditEvents: {
                  ...fetchMoreResult.auditEvents,
                  edges: [...prev.auditEvents.edges, ...fetchMoreResult.auditEvents.edges],
                },
              }),
            })
          }
        >
          Show more
        </button>
      ) : null}
    </>
  );
}
