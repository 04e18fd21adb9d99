'use client';

import { NetworkStatus } from '@apollo/client';
import { useQuery } from '@apollo/client/react';
import { useRouter } from 'next/navigation';
import { type KeyboardEvent, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { formatTime, percent, personName } from '@/components/format';
import { StatusBadge, statusText, TriageFlag } from '@/components/status';
import { WorklistQuery } from '@/graphql/documents';
import type { HemorrhageLabel, WorklistQuery as Result, StudyFilter, StudyStatus } from '@/graphql/generated/graphql';
import { useLiveWorklist } from './live';
import { rememberOrder } from './study-order';

type Row = Result['studies']['edges'][number]['node'];

const PAGE = 50;
/** The API's largest `first` for studies. */
const MAX_PAGE = 100;
const STATUSES: StudyStatus[] = ['RECEIVING', 'QUEUED', 'PROCESSING', 'DONE', 'FAILED', 'NOT_ELIGIBLE'];
const SUBTYPES: HemorrhageLabel[] = ['EPIDURAL', 'INTRAPARENCHYMAL', 'INTRAVENTRICULAR', 'SUBARACHNOID', 'SUBDURAL'];

function topSubtypes(row: Row): { label: string; p: number }[] {
  const p = row.prediction;
  if (!p) return [];
  return (
    [
      ['epidural', p.epidural],
      ['intraparenchymal', p.intraparenchymal],
      ['intraventricular', p.intraventricular],
      ['subarachnoid', p.subarachnoid],
      ['subdural', p.subdural],
    ] as const
  )
    .map(([label, v]) => ({ label, p: v }))
    .sort((a, b) => b.p - a.p)
    .slice(0, 2);
}

interface FilterState {
  status: string;
  label: string;
  reviewed: string;
  from: string;
  to: string;
  search: string;
}

function toFilter(f: FilterState): StudyFilter {
  const filter: StudyFilter = {};
  if (f.status) filter.status = [f.status as StudyStatus];
  if (f.label) filter.label = f.label as HemorrhageLabel;
  if (f.reviewed) filter.reviewed = f.reviewed === 'yes';
  // Date inputs are local calendar days; the bounds are that day's local midnight, sent as UTC instants.
  if (f.from) filter.from = new Date(`${f.from}T00:00`).toISOString();
  if (f.to) filter.to = new Date(new Date(`${f.to}T00:00`).getTime() + 86_400_000).toISOString();
  if (f.search.trim()) filter.search = f.search.trim();
  return filter;
}

export function Worklist() {
  const router = useRouter();
  const [form, setForm] = useState<FilterState>({ status: '', label: '', reviewed: '', from: '', to: '', search: '' });
  const [search, setSearch] = useState('');
  // Typing in the search box queries after a short pause, not on every key.
  useEffect(() => {
    const t = setTimeout(() => setSearch(form.search), 250);
    return () => clearTimeout(t);
  }, [form.search]);
  const filter = useMemo(() => toFilter({ ...form, search }), [form, search]);
  const { data, loading, error, fetchMore, networkStatus, refetch } = useQuery(WorklistQuery, {
    variables: { first: PAGE, filter },
    notifyOnNetworkStatusChange: true,
  });
  const rows = useMemo(() => data?.studies.edges.map((e) => e.node) ?? [], [data]);
  // A live change reads again as many rows as are shown (up to the API's page limit), so pages already opened with
  // "Show more" stay open.
  const shown = rows.length;
  const reread = useCallback(() => refetch({ first: Math.min(MAX_PAGE, Math.max(PAGE, shown)) }), [refetch, shown]);
  const fresh = useLiveWorklist(reread, rows);
  const freshRows = rows.filter((r) => fresh.has(r.id));
  useEffect(() => rememberOrder(rows.map((r) => r.id)), [rows]);

  const tableRef = useRef<HTMLTableSectionElement>(null);
  const onRowKey = (event: KeyboardEvent<HTMLTableRowElement>, index: number, id: string) => {
    const focusRow = (i: number) => tableRef.current?.querySelectorAll<HTMLTableRowElement>('tr')[i]?.focus();
    if (event.key === 'ArrowDown') {
      event.preventDefault();
      focusRow(Math.min(index + 1, rows.length - 1));
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      focusRow(Math.max(index - 1, 0));
    } else if (event.key === 'Enter') {
      router.push(`/studies/${id}`);
    }
  };
  const set = (key: keyof FilterState) => (e: { target: { value: string } }) =>
    setForm((f) => ({ ...f, [key]: e.target.value }));

  return (
    <>
      <h1>Worklist</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter the worklist">
        <div>
          <label htmlFor="f-search">Patient or accession</label>
          <input id="f-search" type="search" value={form.search} onChange={set('search')} />
        </div>
        <div>
          <label htmlFor="f-status">Status</label>
          <select id="f-status" value={form.status} onChange={set('status')}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {statusText(s)}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="f-label">Subtype</label>
          <select id="f-label" value={form.label} onChange={set('label')}>
            <option value="">any</option>
            {SUBTYPES.map((s) => (
              <option key={s} value={s}>
                {s.toLowerCase()}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="f-reviewed">Reviewed</label>
          <select id="f-reviewed" value={form.reviewed} onChange={set('reviewed')}>
            <option value="">any</option>
            <option value="yes">reviewed</option>
            <option value="no">not reviewed</option>
          </select>
        </div>
        <div>
          <label htmlFor="f-from">Arrived from</label>
          <input id="f-from" type="date" value={form.from} onChange={set('from')} />
        </div>
        <div>
          <label htmlFor="f-to">to</label>
          <input id="f-to" type="date" value={form.to} onChange={set('to')} />
        </div>
      </form>
      {error ? (
        <p role="alert" className="error">
          Could not load the worklist: {error.message}
        </p>
      ) : null}
      {freshRows.length > 0 ? (
        <p role="status" className="new-bleeds">
          New suspected bleed{freshRows.length > 1 ? 's' : ''}:{' '}
          {freshRows.map((r, i) => (
            <span key={r.id}>
              {i > 0 ? ', ' : ''}
              <a href={`/studies/${r.id}`}>
                {personName(r.patient.name)} ({r.accessionNumber ?? 'no accession'})
              </a>
            </span>
          ))}
        </p>
      ) : null}
      <p className="muted" aria-live="polite">
        {data
          ? `${data.studies.totalCount} ${data.studies.totalCount === 1 ? 'study' : 'studies'}; suspected bleeds first`
          : loading
            ? 'Loading studies…'
            : ''}
      </p>
      <table className="worklist" aria-label="Studies, suspected bleeds first" aria-busy={loading}>
        <thead>
          <tr>
            <th scope="col">Patient</th>
            <th scope="col">Accession</th>
            <th scope="col">Arrived</th>
            <th scope="col">Status</th>
            <th scope="col">Triage</th>
            <th scope="col">Top suspected subtypes</th>
            <th scope="col">Reviewed</th>
          </tr>
        </thead>
        <tbody ref={tableRef}>
          {rows.map((row, i) => (
            <tr
              key={row.id}
              tabIndex={0}
              data-study-id={row.id}
              className={`${row.triage ? 'row-bleed' : ''} ${fresh.has(row.id) ? 'row-new' : ''}`}
              onKeyDown={(e) => onRowKey(e, i, row.id)}
              onClick={() => router.push(`/studies/${row.id}`)}
              aria-label={`${personName(row.patient.name)}, ${row.accessionNumber ?? 'no accession'}${row.triage ? ', suspected bleed' : ''}`}
            >
              <td>
                <a href={`/studies/${row.id}`} tabIndex={-1} onClick={(e) => e.preventDefault()}>
                  {personName(row.patient.name)}
                </a>
                <div className="muted small">{row.patient.patientId}</div>
              </td>
              <td>{row.accessionNumber ?? '—'}</td>
              <td>{formatTime(row.receivedAt)}</td>
              <td>
                <StatusBadge status={row.status} reason={row.failure?.message ?? row.notEligibleReason} />
              </td>
              <td>
                <TriageFlag triage={row.triage} />
                {row.anyScore !== null ? <span className="muted small"> any {percent(row.anyScore)}</span> : null}
              </td>
              <td>
                {topSubtypes(row)
                  .map((s) => `${s.label} ${percent(s.p)}`)
                  .join(', ') || '—'}
              </td>
              <td>{row.reviewed ? 'reviewed' : 'no'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data && rows.length === 0 ? <p className="empty">No studies match these filters.</p> : null}
      {data?.studies.pageInfo.hasNextPage ? (
        <button
          type="button"
          disabled={networkStatus === NetworkStatus.fetchMore}
          onClick={() =>
            fetchMore({
              variables: { after: data.studies.pageInfo.endCursor },
              updateQuery: (prev, { fetchMoreResult }) => ({
                studies: {
                  ...fetchMoreResult.studies,
                  edges: [...prev.studies.edges, ...fetchMoreResult.studies.edges],
                },
              }),
            })
          }
        >
          {networkStatus === NetworkStatus.fetchMore ? 'Loading…' : 'Show more'}
        </button>
      ) : null}
    </>
  );
}
