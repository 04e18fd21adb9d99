import { existsSync } from 'node:fs';
import { AppError } from '@ich/errors';
import { LABELS, type Label, windowValue } from '@ich/ml/node';
import { createCanvas, GlobalFonts, type SKRSContext2D } from '@napi-rs/canvas';
import type { ResultContext } from './context.js';
import { type NaturalDataset, writePart10 } from './dicom-file.js';

export const SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7';
export const SUMMARY_WIDTH = 1024;
export const SUMMARY_HEIGHT = 720;
/** Where the key slice is drawn: a 512 px square, nearest-neighbour resampled, brain window (W 80, L 40). */
export const KEY_SLICE_BOX = { x: 16, y: 72, size: 512 } as const;
export const BRAIN_WINDOW = { name: 'brain', center: 40, width: 80 } as const;

/**
 * The product's typography on the server: the web app uses the system sans-serif stack; on Debian that is DejaVu
 * Sans (package fonts-dejavu-core, listed in .ci/apt-packages.txt). Rendering without a font would silently drop
 * every word (the model note included), so a missing font is an error.
 */
const FONT_FILES = [
  ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', 'DejaVu Sans'],
  ['/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf', 'DejaVu Sans Bold'],
] as const;
const FONT = 'DejaVu Sans';
const BOLD = 'DejaVu Sans Bold';
let fontsLoaded = false;

function loadFonts(): void {
  if (fontsLoaded) return;
  for (const [file, family] of FONT_FILES) {
    if (!existsSync(file) || !GlobalFonts.registerFromPath(file, family))
      throw new AppError('INTERNAL', `The summary image needs the font ${file} (Debian package fonts-dejavu-core).`);
  }
  fontsLoaded = true;
}

// The web app's dark theme (apps/web/app/globals.css).
const THEME = {
  bg: '#0f1216',
  panel: '#171c22',
  border: '#3b4350',
  text: '#e6e9ee',
  muted: '#a9b3c1',
  accent: '#6cb4ff',
  danger: '#ff7b7b',
  ok: '#7ddc9a',
  warnBg: '#2e2614',
  warnBorder: '#a88a2e',
} as const;

const LABEL_NAMES: Record<Label, string> = {
  any: 'Any hemorrhage',
  epidural: 'Epidural',
  intraparenchymal: 'Intraparenchymal',
  intraventricular: 'Intraventricular',
  subarachnoid: 'Subarachnoid',
  subdural: 'Subdural',
};

/** The key slice pixel the summary image shows at (x, y) of the 512 px box: nearest neighbour, brain window. */
export function keySliceGray(image: { rows: number; columns: number; hu: Float32Array }, x: number, y: number): number {
  const scale = Math.max(image.rows, image.columns) / KEY_SLICE_BOX.size;
  // Letterboxed when not square: centred, black around it.
  const offX = (KEY_SLICE_BOX.size - image.columns / scale) / 2;
  const offY = (KEY_SLICE_BOX.size - image.rows / scale) / 2;
  const col = Math.floor((x - offX) * scale);
  const row = Math.floor((y - offY) * scale);
  if (col < 0 || row < 0 || col >= image.columns || row >= image.rows) return 0;
  return Math.round(windowValue(image.hu[row * image.columns + col] as number, BRAIN_WINDOW) * 255);
}

/** Renders the summary as packed 8-bit RGB (row-major, R G B per pixel). */
export function renderSummary(ctx: ResultContext): Uint8Array {
  loadFonts();
  const canvas = createCanvas(SUMMARY_WIDTH, SUMMARY_HEIGHT);
  const g = canvas.getContext('2d');
  g.fillStyle = THEME.bg;
  g.fillRect(0, 0, SUMMARY_WIDTH, SUMMARY_HEIGHT);

  // Header: title, and the not-for-clinical-use banner when the card calls for it.
  g.fillStyle = THEME.text;
  g.font = `22px "${BOLD}"`;
  g.fillText('ICH triage: AI summary', 16, 34);
  g.font = `13px "${FONT}"`;
  g.fillStyle = THEME.muted;
  g.fillText(`${ctx.model.name} ${ctx.model.version} (${ctx.model.status})`, 16, 56);
  if (ctx.model.notForClinicalUse) {
    g.fillStyle = THEME.warnBg;
    g.strokeStyle = THEME.warnBorder;
    g.fillRect(560, 12, 448, 48);
    g.strokeRect(560.5, 12.5, 447, 47);
    g.fillStyle = THEME.danger;
    g.font = `20px "${BOLD}"`;
    g.fillText('NOT FOR CLINICAL USE', 580, 44);
  }

  // The key slice, pixel for pixel what keySliceGray says (putImageData, no smoothing).
  const box = g.createImageData(KEY_SLICE_BOX.size, KEY_SLICE_BOX.size);
  for (let y = 0; y < KEY_SLICE_BOX.size; y++)
    for (let x = 0; x < KEY_SLICE_BOX.size; x++) {
      const v = keySliceGray(ctx.keyImage, x, y);
      const o = (y * KEY_SLICE_BOX.size + x) * 4;
      box.data[o] = v;
      box.data[o + 1] = v;
      box.data[o + 2] = v;
      box.data[o + 3] = 255;
    }
  g.putImageData(box, KEY_SLICE_BOX.x, KEY_SLICE_BOX.y);
  g.fillStyle = THEME.muted;
  g.font = `13px "${FONT}"`;
  const key = ctx.prediction.slices[ctx.keySliceIndex];
  g.fillText(
    `Key slice ${ctx.keySliceIndex + 1} of ${ctx.prediction.slices.length} (highest 'any' ${percent(key?.any ?? 0)}), brain window W 80 L 40`,
    16,
    KEY_SLICE_BOX.y + KEY_SLICE_BOX.size + 22,
  );

  drawTriage(g, ctx, 560, 84);
  drawProbabilities(g, ctx, 560, 150);
  drawTrack(g, ctx, 560, 420, 448, 150);
  drawModelNote(g, ctx, 16, 640);

  const rgba = g.getImageData(0, 0, SUMMARY_WIDTH, SUMMARY_HEIGHT).data;
  const rgb = new Uint8Array(SUMMARY_WIDTH * SUMMARY_HEIGHT * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    rgb[j] = rgba[i] as number;
    rgb[j + 1] = rgba[i + 1] as number;
    rgb[j + 2] = rgba[i + 2] as number;
  }
  return rgb;
}

function percent(p: number): string {
  return `${(p * 100).toFixed(1)}%`;
}

function drawTriage(g: SKRSContext2D, ctx: ResultContext, x: number, y: number): void {
  const flagged = ctx.prediction.triage;
  g.fillStyle = THEME.panel;
  g.fillRect(x, y, 448, 52);
  g.fillStyle = flagged ? THEME.danger : THEME.ok;
  g.fillRect(x, y, 6, 52);
  g.font = `20px "${BOLD}"`;
  g.fillText(flagged ? 'FLAGGED: suspected hemorrhage' : 'Not flagged', x + 18, y + 33);
}

function drawProbabilities(g: SKRSContext2D, ctx: ResultContext, x: number, y: number): void {
  g.fillStyle = THEME.text;
  g.font = `15px "${BOLD}"`;
  g.fillText('Study probabilities (threshold |)', x, y);
  const barX = x + 150;
  const barW = 220;
  LABELS.forEach((label, i) => {
    const rowY = y + 18 + i * 38;
    const p = ctx.prediction.probabilities[label];
    const t = ctx.model.thresholds[label];
    const flagged = p >= t;
    g.fillStyle = flagged ? THEME.danger : THEME.text;
    g.font = `14px "${label === 'any' ? BOLD : FONT}"`;
    g.fillText(LABEL_NAMES[label], x, rowY + 15);
    g.fillStyle = THEME.panel;
    g.fillRect(barX, rowY + 2, barW, 16);
    g.fillStyle = flagged ? THEME.danger : THEME.accent;
    g.fillRect(barX, rowY + 2, Math.round(barW * Math.min(1, Math.max(0, p))), 16);
    g.fillStyle = THEME.text;
    g.fillRect(barX + Math.round(barW * t), rowY - 1, 2, 22);
    g.font = `14px "${FONT}"`;
    g.fillText(percent(p), barX + barW + 10, rowY + 15);
  });
}

/** The per-slice 'any' probability along the series, with the threshold and the key slice marked. */
function drawTrack(g: SKRSContext2D, ctx: ResultContext, x: number, y: number, w: number, h: number): void {
  g.fillStyle = THEME.text;
  g.font = `15px "${BOLD}"`;
  g.fillText("Per-slice 'any' probability", x, y - 8);
  g.fillStyle = THEME.panel;
  g.fillRect(x, y, w, h);
  const slices = ctx.prediction.slices;
  const n = slices.length;
  const px = (i: number) => x + (n <= 1 ? w / 2 : (i / (n - 1)) * (w - 1));
  const py = (p: number) => y + h - 1 - Math.min(1, Math.max(0, p)) * (h - 2);
  g.strokeStyle = THEME.warnBorder;
  g.setLineDash([4, 4]);
  g.beginPath();
  g.moveTo(x, py(ctx.model.thresholds.any));
  g.lineTo(x + w, py(ctx.model.thresholds.any));
  g.stroke();
  g.setLineDash([]);
  g.strokeStyle = THEME.accent;
  g.lineWidth = 2;
  g.beginPath();
  for (const [i, s] of slices.entries()) {
    if (i === 0) g.moveTo(px(i), py(s.any));
    else g.lineTo(px(i), py(s.any));
  }
  g.stroke();
  g.lineWidth = 1;
  g.fillStyle = THEME.danger;
  g.beginPath();
  g.arc(px(ctx.keySliceIndex), py(slices[ctx.keySliceIndex]?.any ?? 0), 5, 0, Math.PI * 2);
  g.fill();
  g.fillStyle = THEME.muted;
  g.font = `12px "${FONT}"`;
  g.fillText('slice 1', x, y + h + 16);
  g.fillText('slice order (ImagePositionPatient)', x + w / 2 - 100, y + h + 16);
  const last = `slice ${n}`;
  g.fillText(last, x + w - g.measureText(last).width, y + h + 16);
}

function drawModelNote(g: SKRSContext2D, ctx: ResultContext, x: number, y: number): void {
  const m = ctx.model;
  g.fillStyle = THEME.muted;
  g.font = `12px "${FONT}"`;
  g.fillText(`Model ${m.name} ${m.version}, status ${m.status}, weights ${m.weightsHash.slice(0, 23)}…`, x, y);
  g.fillText(`Training data: ${m.trainingData}`.slice(0, 150), x, y + 18);
  if (m.notForClinicalUse) {
    g.fillStyle = THEME.danger;
    g.font = `13px "${BOLD}"`;
    g.fillText(m.notForClinicalUse, x, y + 40);
  }
  g.fillStyle = THEME.muted;
  g.font = `12px "${FONT}"`;
  g.fillText('Triage aid only: a radiologist reads every study. Generated by the ICH triage product.', x, y + 62);
}

/** The summary as a Secondary Capture Image (PS3.3 A.8.1): RGB, 8 bits, burned-in annotation. */
export function buildSummaryImage(ctx: ResultContext): Uint8Array {
  const rgb = renderSummary(ctx);
  const key = ctx.keySlices[0];
  const dataset: NaturalDataset = {
    ...ctx.commonAttributes('SC'),
    SOPClassUID: SECONDARY_CAPTURE,
    SOPInstanceUID: ctx.uids.scInstance,
    SeriesInstanceUID: ctx.uids.scSeries,
    Modality: 'OT',
    SeriesNumber: ctx.series.SC.number,
    SeriesDescription: ctx.series.SC.description,
    // A head is not a paired body part: saying so lets validators skip Laterality (General Series, Type 2C).
    BodyPartExamined: 'HEAD',
    ConversionType: 'WSD',
    InstanceNumber: 1,
    PatientOrientation: '',
    ImageType: ['DERIVED', 'SECONDARY'],
    DerivationDescription: "ICH triage summary: key slice (highest 'any' probability) and model outputs",
    ...(key
      ? {
          SourceImageSequence: [
            { ReferencedSOPClassUID: key.sopClassUid, ReferencedSOPInstanceUID: key.sopInstanceUid },
          ],
        }
      : {}),
    BurnedInAnnotation: 'YES',
    LossyImageCompression: '00',
    SamplesPerPixel: 3,
    PhotometricInterpretation: 'RGB',
    PlanarConfiguration: 0,
    Rows: SUMMARY_HEIGHT,
    Columns: SUMMARY_WIDTH,
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    PixelRepresentation: 0,
    PixelData: [rgb.buffer.slice(rgb.byteOffset, rgb.byteOffset + rgb.byteLength)],
  };
  return writePart10(dataset, { PixelData: 'OB' });
}
