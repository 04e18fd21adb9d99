import { AppError } from '@ich/errors';
import { quantizeModelDir } from '../../model/quantize-model.js';
import { resolveModelDir } from '../../model/resolve-model-dir.js';
import { type Command, parseCommandLine } from '../command.js';
import { enumFlag, intFlag } from '../flags.js';

const usage =
  'ich-ml quantize [--model <dir>] --calib <studies dir> [--calib <dir> ...] [--images N] [--method minmax|percentile] [--percentile P] [--activations uint8|int8] [--json]';

const command: Command = {
  name: 'quantize',
  summary:
    "Write the model directory's INT8 variant (model.int8.onnx, QDQ, per-channel weights), calibrated on DICOM studies (e.g. `ich-ml synth` output); recorded in the card.",
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandLine(argv, usage, {
      model: { type: 'string' },
      calib: { type: 'string', multiple: true },
      images: { type: 'string' },
      activations: { type: 'string' },
      method: { type: 'string' },
      percentile: { type: 'string', default: '99.999' },
      json: { type: 'boolean', default: false },
    });
    if (positionals.length > 0)
      throw new AppError('BAD_USER_INPUT', `unexpected argument "${positionals[0]}" (usage: ${usage})`);
    const calib = values.calib as string[] | undefined;
    if (!calib?.length) throw new AppError('BAD_USER_INPUT', `--calib <studies dir> is required (usage: ${usage})`);
    const images = intFlag(values, 'images', { min: 1, max: 10_000, default: 64 });
    const activations = enumFlag(values, 'activations', ['uint8', 'int8'], { default: 'uint8' });
    const method = enumFlag(values, 'method', ['minmax', 'percentile'], { default: 'minmax' });
    const percentile = Number(values.percentile);
    if (!(percentile > 90 && percentile <= 100))
      throw new AppError('BAD_USER_INPUT', `--percentile must be in (90, 100], not "${values.percentile}"`);
    const dir = resolveModelDir(values.model as string | undefined);
    const started = Date.now();
    const { file, bytes, card } = await quantizeModelDir(dir, {
      calibration: calib,
      maxImages: images,
      activations,
      method,
      percentile,
      onProgress: (done, total, pass) =>
        process.stderr.write(`quantize: calibration (${pass}) ${done}/${total} images\r`),
    });
    process.stderr.write('\n');
    if (values.json) process.stdout.write(`${JSON.stringify({ file, bytes, int8: card.int8 })}\n`);
    else
      process.stdout.write(
        `${file}: ${(bytes / 1e6).toFixed(1)} MB, ${card.name} ${card.version}, ${card.int8?.method} calibration on ${card.int8?.calibration.images} images from ${card.int8?.calibration.studies} studies, ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
      );
    return 0;
  },
};

export default command;
