'use client';

import { useQuery } from '@apollo/client/react';
import { useId, useState } from 'react';
import { formatTime } from '@/components/format';
import { ModelPerformanceQuery } from '@/graphql/documents';
import type { ModelPerformanceQuery as Result } from '@/graphql/generated/graphql';

type Performance = Result['modelPerformance'];
type Observed = Performance['sensitivity'];

/** Window choices; 'alert' sends no from/to, so the API evaluates (and tracks) the alert window. */
const WINDOWS = [
  { value: 'alert', label: 'Last 90 days (alert window)' },
  { value: '30', label: 'Last 30 days' },
  { value: '365', label: 'Last 365 days' },
  { value: 'custom', label: 'Custom dates' },
] as const;
type WindowChoice = (typeof WINDOWS)[number]['value'];

const DAY = 86_400_000;

/** `now` is when the reader picked the window: fixed, so the query's variables (and cache key) do not change per render. */
function windowVariables(
  choice: WindowChoice,
  from: string,
  to: string,
  now: number,
): { from?: string; to?: string } | null {
  if (choice === 'alert') return {};
  if (choice === 'custom') {
    if (!from || !to) return null;
    // Whole days in the reader's time zone; `to` is inclusive on screen, so the window ends at the next midnight.
    const start = new Date(`${from}T00:00:00`);
    const end = new Date(new Date(`${to}T00:00:00`).getTime() + DAY);
    return end > start ? { from: start.toISOString(), to: end.toISOString() } : null;
  }
  return { from: new Date(now - Number(choice) * DAY).toISOString(), to: new Date(now).toISOString() };
}

const pct = (p: number | null | undefined, digits = 1) =>
  p === null || p === undefined ? '—' : `${(p * 100).toFixed(digits)}%`;

const METRIC_NAMES = { SENSITIVITY: 'Sensitivity', SPECIFICITY: 'Specificity' } as const;

/**
 * Accuracy in use of one model version: the triage flag against clinicians' reviews, per time window, with Wilson 95 %
 * intervals drawn as bars on a 0–100 % scale and the card's targets as dashed marks.
 */
export function ModelPerformance({ modelVersionId, label }: { modelVersionId: string; label: string }) {
  const id = useId();
  const [{ choice, pickedAt }, setWindow] = useState<{ choice: WindowChoice; pickedAt: number }>({
    choice: 'alert',
    pickedAt: 0,
  });
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const variables = windowVariables(choice, from, to, pickedAt);
  const { data, loading, error } = useQuery(ModelPerformanceQuery, {
    variables: { id: modelVersionId, ...(variables ?? {}) },
    skip: variables === null,
    fetchPolicy: 'cache-and-network',
  });
  const perf = data?.modelPerformance;
  return (
    <section className="performance" aria-labelledby={`${id}-h`} data-testid="model-performance">
      <h3 id={`${id}-h`}>Accuracy in use</h3>
      <div className="inline-form">
        <label>
          Window
          <select
            value={choice}
            onChange={(e) => setWindow({ choice: e.target.value as WindowChoice, pickedAt: Date.now() })}
          >
            {WINDOWS.map((w) => (
              <option key={w.value} value={w.value}>
                {w.label}
              </option>
            ))}
          </select>
        </label>
        {choice === 'custom' ? (
          <>
            <label>
              From
              <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
            </label>
            <label>
              To
              <input type="date" value={to} onChange={(e) => setTo(e.target.value)} />
            </label>
          </>
        ) : null}
      </div>
      {variables === null ? <p className="muted">Choose a start date before the end date.</p> : null}
      {error ? <p role="alert">Could not load accuracy: {error.message}</p> : null}
      {loading && !perf ? <p aria-busy="true">Computing accuracy…</p> : null}
      {perf ? <PerformanceView perf={perf} label={label} /> : null}
    </section>
  );
}

function PerformanceView({ perf, label }: { perf: Performance; label: string }) {
  const targets = perf.targets;
  const rows: Array<{ name: string; observed: Observed; target: number | null }> = [
    { name: 'Sensitivity', observed: perf.sensitivity, target: targets?.sensitivity ?? null },
    { name: 'Specificity', observed: perf.specificity, target: targets?.specificity ?? null },
    { name: 'PPV', observed: perf.ppv, target: null },
  ];
  return (
    <>
      {perf.alerts.map((a) => (
        <p key={a.metric} role="alert" className="notice notice-alert" data-testid="accuracy-alert">
          <strong>{METRIC_NAMES[a.metric]} below target</strong> for {label}: the 95% lower bound {pct(a.lowerBound)} is
          under the card's target {pct(a.target)} ({a.successes} of {a.total} reviewed).
        </p>
      ))}
      <p className="muted small">
        <span data-testid="window-span">
          {formatTime(perf.from)} to {formatTime(perf.to)}
        </span>{' '}
        · <span data-testid="reviewed-count">{perf.reviewed}</span> reviewed ·{' '}
        <span data-testid="unreviewed-count">{perf.unreviewed}</span> unreviewed · TP {perf.truePositives}, FP{' '}
        {perf.falsePositives}, FN {perf.falseNegatives}, TN {perf.trueNegatives}
      </p>
      <table className="data performance-table">
        <thead>
          <tr>
            <th scope="col">Metric</th>
            <th scope="col">Observed</th>
            <th scope="col">Estimate</th>
            <th scope="col">95% interval (Wilson)</th>
            <th scope="col">Target</th>
            <th scope="col">
              <span className="visually-hidden">Interval on a 0 to 100% scale</span>
              <IntervalAxis />
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.name} data-metric={r.name}>
              <th scope="row">{r.name}</th>
              <td>
                {r.observed.successes} of {r.observed.total}
              </td>
              <td data-testid="estimate">{pct(r.observed.estimate)}</td>
              <td data-testid="interval">
                {r.observed.lower === null ? '—' : `${pct(r.observed.lower)} – ${pct(r.observed.upper)}`}
              </td>
              <td>{r.target === null ? '—' : pct(r.target, 0)}</td>
              <td>
                <IntervalBar observed={r.observed} target={r.target} name={r.name} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {targets ? (
        <ul className="muted small">
          {perf.checks.map((c) => (
            <li key={c.metric}>
              {METRIC_NAMES[c.metric]}:{' '}
              {c.minimumReviews === null
                ? 'a target of 100% can never be shown, so this alert never fires.'
                : c.armed
                  ? `alert armed (${c.total} reviews, at least ${c.minimumReviews} needed).`
                  : `alert not armed yet: ${c.total} of the ${c.minimumReviews} reviews needed before the lower bound can show the target met.`}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted small">The model card declares no accuracy targets, so no alert can fire.</p>
      )}
    </>
  );
}

const W = 220;
const H = 22;
const PAD = 6;
const x = (p: number) => PAD + p * (W - 2 * PAD);

function IntervalAxis() {
  return (
    <svg width={W} height={14} viewBox={`0 0 ${W} 14`} aria-hidden="true" className="interval-axis">
      {[0, 0.5, 1].map((t) => (
        <text
          key={t}
          x={x(t)}
          y={11}
          textAnchor={t === 0 ? 'start' : t === 1 ? 'end' : 'middle'}
          fill="currentColor"
          fontSize={10}
        >
          {t * 100}%
        </text>
      ))}
    </svg>
  );
}

/** One proportion: the track is 0–100 %, the bar the Wilson interval, the dot the estimate, the dash the target. */
function IntervalBar({ observed, target, name }: { observed: Observed; target: number | null; name: string }) {
  const has = observed.lower !== null && observed.upper !== null && observed.estimate !== null;
  const below = has && target !== null && (observed.lower ?? 0) < target;
  const description = has
    ? `${name}: estimate ${pct(observed.estimate)}, 95% interval ${pct(observed.lower)} to ${pct(observed.upper)}${
        target === null ? '' : `, target ${pct(target, 0)}`
      }`
    : `${name}: no reviews to estimate from`;
  return (
    <svg
      width={W}
      height={H}
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-label={description}
      className="interval-bar"
      data-testid="interval-bar"
    >
      <line x1={x(0)} x2={x(1)} y1={H / 2} y2={H / 2} stroke="var(--border)" strokeWidth={2} />
      {[0, 0.25, 0.5, 0.75, 1].map((t) => (
        <line key={t} x1={x(t)} x2={x(t)} y1={H / 2 - 3} y2={H / 2 + 3} stroke="var(--border)" />
      ))}
      {has ? (
        <>
          <rect
            x={x(observed.lower ?? 0)}
            y={H / 2 - 4}
            width={Math.max(1, x(observed.upper ?? 0) - x(observed.lower ?? 0))}
            height={8}
            rx={3}
            fill={below ? 'var(--danger)' : 'var(--accent)'}
            opacity={0.55}
            data-testid="interval-rect"
          />
          <circle cx={x(observed.estimate ?? 0)} cy={H / 2} r={4} fill="var(--text)" />
        </>
      ) : null}
      {target !== null ? (
        <line
          x1={x(target)}
          x2={x(target)}
          y1={1}
          y2={H - 1}
          stroke="var(--ok)"
          strokeWidth={2}
          strokeDasharray="3 2"
          data-testid="target-mark"
        />
      ) : null}
    </svg>
  );
}
