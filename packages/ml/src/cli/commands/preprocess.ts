import { writeFile } from 'node:fs/promises';
import { AppError } from '@ich/errors';
import { PNG } from 'pngjs';
import { transferSyntaxInfo } from '../../dicom/transfer-syntax.js';
import { valueStats } from '../../hu/to-hounsfield.js';
import { decodeToHounsfield } from '../../pipeline/hounsfield-image.js';
import { boundedInflateRaw } from '../../pipeline/inflate.js';
import { readDicomFile } from '../../pipeline/load-studies.js';
import { applyWindows, DEFAULT_WINDOWS, type HuWindow, parseWindows } from '../../window/windows.js';
import { type Command, parseCommandLine } from '../command.js';
import { intFlag } from '../flags.js';

const usage =
  'ich-ml preprocess <file.dcm> [--json] [--hu-out <file>] [--png <file>] [--windows L/W,L/W,L/W] [--frame N] [--timeout-ms N]';

/** Decodes one DICOM file and reports its attributes and HU statistics; optionally writes the HU frame and a PNG. */
const command: Command = {
  name: 'preprocess',
  summary:
    'Decode one DICOM file to Hounsfield units; print its attributes and HU statistics, write HU (float32) or a 3-window PNG.',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandLine(argv, usage, {
      json: { type: 'boolean', default: false },
      'hu-out': { type: 'string' },
      png: { type: 'string' },
      windows: { type: 'string' },
      frame: { type: 'string' },
      'timeout-ms': { type: 'string' },
    });
    if (positionals.length !== 1)
      throw new AppError('BAD_USER_INPUT', `expected exactly one DICOM file (usage: ${usage})`);
    const path = positionals[0] as string;
    const frameIndex = intFlag(values, 'frame', { min: 0, default: 0 });
    const timeoutMs = intFlag(values, 'timeout-ms', { min: 1, default: 10_000 });
    let windows: readonly HuWindow[] = DEFAULT_WINDOWS;
    if (values.windows !== undefined) {
      try {
        windows = parseWindows(values.windows);
      } catch (thrown) {
        throw new AppError('BAD_USER_INPUT', `--windows: ${(thrown as Error).message}`);
      }
      if (values.png !== undefined && windows.length !== 3)
        throw new AppError('BAD_USER_INPUT', '--png needs exactly three windows (one per colour channel)');
    }

    // A regular file of bounded size only: a FIFO or a device is refused instead of read forever.
    const read = await readDicomFile(path);
    // The one file named on the command line: unreadable or missing is the caller's mistake (exit 2), as before.
    if (!read.ok)
      throw read.error.code === 'NOT_FOUND' ? new AppError('BAD_USER_INPUT', read.error.message) : read.error;
    const bytes = read.value;
    const image = await decodeToHounsfield(bytes, { frameIndex, timeoutMs, inflateRaw: boundedInflateRaw });
    if (!image.ok) throw image.error;
    const { attrs, hu, rows, columns, rsnaQuirkApplied } = image.value;
    const stats = valueStats(hu);

    if (values['hu-out'] !== undefined) {
      // Little-endian Float32, row-major: copy through a DataView so the byte order never depends on the host.
      const out = new Uint8Array(hu.length * 4);
      const view = new DataView(out.buffer);
      for (let i = 0; i < hu.length; i += 1) view.setFloat32(i * 4, hu[i] as number, true);
      await writeOutput(values['hu-out'], out);
    }
    if (values.png !== undefined) await writeOutput(values.png, windowsPng(hu, rows, columns, windows));

    const report = {
      path,
      sopInstanceUid: attrs.sopInstanceUid,
      studyInstanceUid: attrs.studyInstanceUid,
      seriesInstanceUid: attrs.seriesInstanceUid,
      modality: attrs.modality,
      transferSyntaxUid: attrs.transferSyntaxUid,
      transferSyntax: transferSyntaxInfo(attrs.transferSyntaxUid)?.name ?? null,
      rows,
      columns,
      numberOfFrames: attrs.numberOfFrames,
      frame: frameIndex,
      bitsAllocated: attrs.bitsAllocated,
      bitsStored: attrs.bitsStored,
      pixelRepresentation: attrs.pixelRepresentation,
      photometricInterpretation: attrs.photometricInterpretation,
      rescaleSlope: attrs.rescaleSlope,
      rescaleIntercept: attrs.rescaleIntercept,
      rescaleType: attrs.rescaleType,
      rsnaQuirkApplied,
      windowCenter: attrs.windowCenter,
      windowWidth: attrs.windowWidth,
      instanceNumber: attrs.instanceNumber,
      imagePositionPatient: attrs.imagePositionPatient,
      imageOrientationPatient: attrs.imageOrientationPatient,
      pixelSpacing: attrs.pixelSpacing,
      sliceThickness: attrs.sliceThickness,
      hu: stats,
    };
    if (values.json) {
      process.stdout.write(`${JSON.stringify(report)}\n`);
    } else {
      process.stdout.write(
        `${[
          `${path}: ${attrs.modality || '?'} ${rows}×${columns}, ${report.transferSyntax ?? attrs.transferSyntaxUid}`,
          `  stored ${attrs.bitsStored}/${attrs.bitsAllocated} bits, ${attrs.pixelRepresentation ? 'signed' : 'unsigned'}; rescale ×${attrs.rescaleSlope} ${attrs.rescaleIntercept >= 0 ? '+' : '−'} ${Math.abs(attrs.rescaleIntercept)}${rsnaQuirkApplied ? ' (RSNA 12-bit wrap corrected)' : ''}`,
          `  HU min ${stats.min}, max ${stats.max}, mean ${stats.mean.toFixed(2)}`,
        ].join('\n')}\n`,
      );
    }
    return 0;
  },
};

export default command;

function windowsPng(hu: Float32Array, rows: number, columns: number, windows: readonly HuWindow[]): Buffer {
  const channels = applyWindows(hu, rows, columns, windows);
  const png = new PNG({ width: columns, height: rows, colorType: 2 });
  for (let p = 0; p < rows * columns; p += 1) {
    png.data[p * 4] = Math.round((channels[p * 3] as number) * 255);
    png.data[p * 4 + 1] = Math.round((channels[p * 3 + 1] as number) * 255);
    png.data[p * 4 + 2] = Math.round((channels[p * 3 + 2] as number) * 255);
    png.data[p * 4 + 3] = 255;
  }
  return PNG.sync.write(png, { colorType: 2 });
}

async function writeOutput(path: string, data: Uint8Array): Promise<void> {
  try {
    await writeFile(path, data);
  } catch (thrown) {
    throw new AppError('BAD_USER_INPUT', `cannot write ${path}: ${(thrown as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}
