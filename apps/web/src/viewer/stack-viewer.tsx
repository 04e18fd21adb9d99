'use client';

import type { Viewport } from 'cornerstone-core';
import { type KeyboardEvent, useCallback, useEffect, useRef, useState } from 'react';
import { loadCornerstone } from './cornerstone';
import { WINDOW_PRESETS } from './presets';

export interface StackViewerProps {
  imageIds: readonly string[];
  index: number;
  onIndex(index: number): void;
  /** Label for the current slice, e.g. its position in mm. */
  describe(index: number): string;
}

type Cornerstone = Awaited<ReturnType<typeof loadCornerstone>>;

const PREFETCH_CONCURRENCY = 4;
const KEY_STEPS = new Map([
  ['ArrowDown', 1],
  ['ArrowRight', 1],
  ['ArrowUp', -1],
  ['ArrowLeft', -1],
  ['PageDown', 10],
  ['PageUp', -10],
]);

/**
 * A cornerstone-core stack viewer. Wheel, arrows and Page keys move through slices; 1–4 pick a window preset;
 * dragging sets window/level (left button), pans (Shift or middle button) or zooms (right button or Ctrl+wheel).
 * Every frame is prefetched after the first one shows, so scrolling never waits on the network.
 */
export function StackViewer({ imageIds, index, onIndex, describe }: StackViewerProps) {
  const element = useRef<HTMLDivElement>(null);
  const [cs, setCs] = useState<Cornerstone | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [voi, setVoi] = useState<{ windowCenter: number; windowWidth: number }>({ windowCenter: 40, windowWidth: 80 });
  const [loaded, setLoaded] = useState(0);
  const displayed = useRef(false);
  const voiRef = useRef(voi);
  voiRef.current = voi;
  // Where prefetching starts; moving through slices must not restart it.
  const startIndex = useRef(index);
  startIndex.current = index;

  useEffect(() => {
    let cancelled = false;
    const el = element.current;
    loadCornerstone()
      .then((c) => {
        if (cancelled || !el) return;
        c.enable(el);
        setCs(c);
      })
      .catch((e: unknown) => setError(String(e)));
    const onResize = () => {
      if (el && displayed.current) void loadCornerstone().then((c) => c.resize(el, false));
    };
    window.addEventListener('resize', onResize);
    return () => {
      cancelled = true;
      window.removeEventListener('resize', onResize);
      if (el) void loadCornerstone().then((c) => c.disable(el));
    };
  }, []);

  // Show the current slice, keeping the reader's window, zoom and pan.
  useEffect(() => {
    const el = element.current;
    const id = imageIds[index];
    if (!cs || !el || !id) return;
    let stale = false;
    cs.loadAndCacheImage(id)
      .then((image) => {
        if (stale) return;
        const viewport: Partial<Viewport> = displayed.current
          ? { ...cs.getViewport(el), voi: voiRef.current }
          : { ...cs.getDefaultViewportForImage(el, image), voi: voiRef.current };
        cs.displayImage(el, image, viewport);
        displayed.current = true;
        el.dataset['renderedIndex'] = String(index);
        setError(null);
      })
      .catch((e: unknown) => {
        if (!stale) setError(`Slice ${index + 1} could not be loaded: ${e instanceof Error ? e.message : String(e)}`);
      });
    return () => {
      stale = true;
    };
  }, [cs, imageIds, index]);

  // Prefetch the whole stack outward from the current slice, a few frames at a time.
  useEffect(() => {
    if (!cs || imageIds.length === 0) return;
    let stopped = false;
    const from = startIndex.current;
    const order = [...imageIds.keys()].sort((a, b) => Math.abs(a - from) - Math.abs(b - from));
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (!stopped && next < order.length) {
        const i = order[next++]!;
        await cs.loadAndCacheImage(imageIds[i]!).catch(() => undefined);
        done++;
        if (!stopped) setLoaded(done);
      }
    };
    for (let k = 0; k < PREFETCH_CONCURRENCY; k++) void worker();
    return () => {
      stopped = true;
    };
  }, [cs, imageIds]);

  useEffect(() => {
    const el = element.current;
    if (!cs || !el || !displayed.current) return;
    const vp = cs.getViewport(el);
    if (vp) cs.setViewport(el, { ...vp, voi });
  }, [cs, voi]);

  const step = useCallback(
    (delta: number) => onIndex(Math.max(0, Math.min(imageIds.length - 1, index + delta))),
    [imageIds.length, index, onIndex],
  );

  useEffect(() => {
    const el = element.current;
    if (!el) return;
    const onWheel = (event: WheelEvent) => {
      event.preventDefault();
      if (event.ctrlKey && cs) {
        const vp = cs.getViewport(el);
        if (vp) cs.setViewport(el, { ...vp, scale: Math.max(0.1, vp.scale * (event.deltaY < 0 ? 1.1 : 1 / 1.1)) });
        return;
      }
      step(event.deltaY > 0 ? 1 : -1);
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, [cs, step]);

  const onPointerDown = (event: React.PointerEvent<HTMLDivElement>) => {
    const el = element.current;
    if (!cs || !el || !displayed.current) return;
    event.preventDefault();
    el.focus();
    el.setPointerCapture(event.pointerId);
    const mode = event.button === 2 ? 'zoom' : event.shiftKey || event.button === 1 ? 'pan' : 'window';
    let last = { x: event.clientX, y: event.clientY };
    const move = (e: PointerEvent) => {
      const dx = e.clientX - last.x;
      const dy = e.clientY - last.y;
      last = { x: e.clientX, y: e.clientY };
      const vp = cs.getViewport(el);
      if (!vp) return;
      if (mode === 'window') {
        setVoi((v) => ({ windowWidth: Math.max(1, v.windowWidth + dx * 2), windowCenter: v.windowCenter + dy * 2 }));
      } else if (mode === 'pan') {
        cs.setViewport(el, {
          ...vp,
          translation: { x: vp.translation.x + dx / vp.scale, y: vp.translation.y + dy / vp.scale },
        });
      } else {
        cs.setViewport(el, { ...vp, scale: Math.max(0.1, vp.scale * (1 - dy / 200)) });
      }
    };
    const up = () => {
      el.removeEventListener('pointermove', move);
      el.removeEventListener('pointerup', up);
    };
    el.addEventListener('pointermove', move);
    el.addEventListener('pointerup', up);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const delta = KEY_STEPS.get(event.key);
    const preset = WINDOW_PRESETS.find((p) => p.key === event.key);
    let action: (() => void) | undefined;
    if (delta !== undefined) action = () => step(delta);
    else if (event.key === 'Home') action = () => onIndex(0);
    else if (event.key === 'End') action = () => onIndex(imageIds.length - 1);
    else if (preset) action = () => choosePreset(preset.center, preset.width);
    if (action) {
      event.preventDefault();
      action();
    }
  };
  const choosePreset = (center: number, width: number) => setVoi({ windowCenter: center, windowWidth: width });
  const zoom = (factor: number | null) => {
    const el = element.current;
    if (!cs || !el || !displayed.current) return;
    if (factor === null) {
      cs.reset(el);
      const vp = cs.getViewport(el);
      if (vp) cs.setViewport(el, { ...vp, voi: voiRef.current });
      return;
    }
    const vp = cs.getViewport(el);
    if (vp) cs.setViewport(el, { ...vp, scale: vp.scale * factor });
  };
  const activePreset = WINDOW_PRESETS.find((p) => p.center === voi.windowCenter && p.width === voi.windowWidth);

  return (
    <section className="stack-viewer" aria-label="Slice viewer">
      <div className="viewer-toolbar" role="toolbar" aria-label="Window presets and zoom">
        {WINDOW_PRESETS.map((p) => (
          <button
            key={p.name}
            type="button"
            aria-pressed={activePreset?.name === p.name}
            onClick={() => choosePreset(p.center, p.width)}
            title={`${p.name} window ${p.center}/${p.width} (key ${p.key})`}
          >
            {p.name} {p.center}/{p.width}
          </button>
        ))}
        <span className="muted">
          W/L {Math.round(voi.windowCenter)}/{Math.round(voi.windowWidth)}
        </span>
        <button type="button" onClick={() => zoom(1.25)} aria-label="Zoom in">
          +
        </button>
        <button type="button" onClick={() => zoom(0.8)} aria-label="Zoom out">
          −
        </button>
        <button type="button" onClick={() => zoom(null)}>
          Reset view
        </button>
      </div>
      <div
        ref={element}
        className="viewport"
        role="slider"
        tabIndex={0}
        aria-label="CT slice: wheel or arrow keys change slice, 1 to 4 pick a window, drag sets window and level"
        aria-valuemin={1}
        aria-valuemax={imageIds.length}
        aria-valuenow={index + 1}
        aria-valuetext={`Slice ${index + 1} of ${imageIds.length}, ${describe(index)}`}
        onKeyDown={onKeyDown}
        onPointerDown={onPointerDown}
        onContextMenu={(e) => e.preventDefault()}
        data-testid="viewport"
      />
      <p className="slice-counter" aria-live="polite" data-testid="slice-counter">
        Slice {index + 1} / {imageIds.length} · {describe(index)}
        {loaded < imageIds.length ? ` · loading ${loaded}/${imageIds.length}` : ''}
      </p>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
    </section>
  );
}
