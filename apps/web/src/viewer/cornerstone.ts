'use client';

import type { CornerstoneImage } from 'cornerstone-core';
import { type FrameFormat, firstPart, range, typedPixels } from './frames';

type Cornerstone = typeof import('cornerstone-core').default;

const SCHEME = 'ich-frame';
const formats = new Map<string, FrameFormat & { spacing: [number, number] }>();
let loading: Promise<Cornerstone> | null = null;

/** An image id for one frame URL on the web origin; its pixel format must be known before it is loaded. */
export function frameImageId(url: string, format: FrameFormat & { spacing: [number, number] }): string {
  const id = `${SCHEME}:${url}`;
  formats.set(id, format);
  return id;
}

const early = new Map<string, Promise<ArrayBuffer>>();

async function fetchFrame(url: string): Promise<ArrayBuffer> {
  const response = await fetch(url, {
    credentials: 'same-origin',
    // One frame, bare: no multipart body to take apart (firstPart still copes if a server sends one).
    headers: { accept: 'application/octet-stream' },
  });
  if (!response.ok) throw new Error(`frame ${url}: HTTP ${response.status}`);
  return firstPart(await response.arrayBuffer(), response.headers.get('content-type'));
}

/**
 * Starts fetching a frame before its pixel format is known (the series metadata is still on its way), so the first
 * image's two requests overlap instead of running one after the other.
 */
export function fetchFrameEarly(url: string): void {
  if (!early.has(url)) early.set(url, fetchFrame(url));
}

async function loadFrame(imageId: string): Promise<CornerstoneImage> {
  const format = formats.get(imageId);
  if (!format) throw new Error(`no pixel format known for ${imageId}`);
  const url = imageId.slice(SCHEME.length + 1);
  const started = early.get(url);
  early.delete(url);
  const pixels = typedPixels(await (started ?? fetchFrame(url)), format);
  const { min, max } = range(pixels);
  return {
    imageId,
    minPixelValue: min,
    maxPixelValue: max,
    slope: format.slope,
    intercept: format.intercept,
    // Brain window until the user picks another.
    windowCenter: 40,
    windowWidth: 80,
    getPixelData: () => pixels,
    rows: format.rows,
    columns: format.columns,
    height: format.rows,
    width: format.columns,
    color: false,
    rowPixelSpacing: format.spacing[0],
    columnPixelSpacing: format.spacing[1],
    invert: false,
    sizeInBytes: pixels.byteLength,
  };
}

/** cornerstone-core touches `window` when imported, so it is loaded only in the browser, once, on first use. */
export function loadCornerstone(): Promise<Cornerstone> {
  loading ??= import('cornerstone-core').then(({ default: cs }) => {
    cs.registerImageLoader(SCHEME, (imageId) => ({ promise: loadFrame(imageId) }));
    // 40 slices of 512² at 16 bits are ~21 MB; room for a few studies.
    cs.imageCache.setMaximumSizeBytes(512 * 1024 * 1024);
    return cs;
  });
  return loading;
}
