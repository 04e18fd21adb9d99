'use client';

import type { Label } from '@ich/ml/browser';
import { LABELS } from '@ich/ml/browser';
import { type KeyboardEvent, type PointerEvent, useRef } from 'react';

export type SliceScores = Record<Label, number>;

export const LABEL_COLORS: Record<Label, string> = {
  any: '#f2f2f2',
  epidural: '#ff7a7a',
  intraparenchymal: '#ffb347',
  intraventricular: '#ffe066',
  subarachnoid: '#7ddc7d',
  subdural: '#6fb6ff',
};

const WIDTH = 200;
const PAD = 6;

/**
 * The per-slice probability track: slices run top (head) to bottom (foot) beside the image, each label's probability
 * across; dashed lines are the model card's thresholds; the current slice is marked. Click or drag to jump.
 */
export function SliceTrack({
  slices,
  thresholds,
  index,
  onIndex,
  height,
}: {
  slices: readonly SliceScores[];
  thresholds: Partial<Record<Label, number>>;
  index: number;
  onIndex(i: number): void;
  height: number;
}) {
  const svg = useRef<HTMLDivElement>(null);
  const n = slices.length;
  const y = (i: number) => PAD + (n <= 1 ? 0 : (i / (n - 1)) * (height - 2 * PAD));
  const x = (p: number) => PAD + p * (WIDTH - 2 * PAD);
  const jump = (clientY: number) => {
    const rect = svg.current?.getBoundingClientRect();
    if (!rect || n === 0) return;
    const frac = (clientY - rect.top - PAD) / (rect.height - 2 * PAD);
    onIndex(Math.max(0, Math.min(n - 1, Math.round(frac * (n - 1)))));
  };
  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    e.currentTarget.setPointerCapture(e.pointerId);
    jump(e.clientY);
  };
  const onPointerMove = (e: PointerEvent<HTMLDivElement>) => {
    if (e.buttons & 1) jump(e.clientY);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const delta = e.key === 'ArrowDown' ? 1 : e.key === 'ArrowUp' ? -1 : 0;
    if (delta) {
      e.preventDefault();
      onIndex(Math.max(0, Math.min(n - 1, index + delta)));
    }
  };
  const current = slices[index];
  return (
    <figure className="slice-track">
      <div
        ref={svg}
        className="track-area"
        role="slider"
        tabIndex={0}
        aria-label="Per-slice probabilities; click or drag to go to a slice"
        aria-valuemin={1}
        aria-valuemax={n}
        aria-valuenow={index + 1}
        aria-valuetext={
          current ? `Slice ${index + 1}: any ${Math.round(current.any * 100)}%` : `Slice ${index + 1} of ${n}`
        }
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onKeyDown={onKeyDown}
        data-testid="slice-track"
      >
        <svg width={WIDTH} height={height} viewBox={`0 0 ${WIDTH} ${height}`} aria-hidden="true">
          <rect x={0} y={0} width={WIDTH} height={height} fill="#0b0e12" />
          {LABELS.map((label) => {
            const t = thresholds[label];
            return t === undefined ? null : (
              <line
                key={`t-${label}`}
                x1={x(t)}
                x2={x(t)}
                y1={0}
                y2={height}
                stroke={LABEL_COLORS[label]}
                strokeOpacity={0.5}
                strokeDasharray="3 3"
              />
            );
          })}
          {LABELS.map((label) => (
            <polyline
              key={label}
              fill="none"
              stroke={LABEL_COLORS[label]}
              strokeWidth={label === 'any' ? 2 : 1.25}
              points={slices.map((s, i) => `${x(s[label]).toFixed(1)},${y(i).toFixed(1)}`).join(' ')}
            />
          ))}
          {n > 0 ? (
            <line
              x1={0}
              x2={WIDTH}
              y1={y(index)}
              y2={y(index)}
              stroke="#5aa9ff"
              strokeWidth={2}
              data-testid="track-cursor"
            />
          ) : null}
        </svg>
      </div>
      <figcaption>
        <ul className="legend">
          {LABELS.map((label) => (
            <li key={label}>
              <span className="swatch" style={{ background: LABEL_COLORS[label] }} aria-hidden="true" />
              {label}
              {current ? ` ${Math.round(current[label] * 100)}%` : ''}
              {thresholds[label] !== undefined ? (
                <span className="muted"> (threshold {Math.round((thresholds[label] ?? 0) * 100)}%)</span>
              ) : null}
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}
