import { parseArgs } from 'node:util';
import { MAX_INPUT_SIZE, MIN_INPUT_SIZE } from '../../model/config.js';
import { initModel } from '../../model/init-model.js';
import { resolveModelDir } from '../../model/resolve-model-dir.js';
import { type Command, withUsage } from '../command.js';
import { enumFlag, intFlag } from '../flags.js';

const usage = `ich-ml init-model [--out <dir>] [--size N (${MIN_INPUT_SIZE}..${MAX_INPUT_SIZE}, default 299)] [--seed S] [--context 1|3] [--no-onnx] [--json]`;

const command: Command = {
  name: 'init-model',
  summary: 'Write a model directory with seeded random (UNTRAINED) weights: tfjs model, model card and ONNX export.',
  usage,
  async run(argv) {
    const { values } = withUsage(usage, () =>
      parseArgs({
        args: argv,
        strict: true,
        options: {
          out: { type: 'string' },
          size: { type: 'string' },
          seed: { type: 'string' },
          context: { type: 'string' },
          'no-onnx': { type: 'boolean', default: false },
          json: { type: 'boolean', default: false },
        },
      }),
    );
    const size = intFlag(values, 'size', { min: MIN_INPUT_SIZE, max: MAX_INPUT_SIZE, default: 299 });
    const seed = intFlag(values, 'seed', { min: 0, default: 1 });
    const context = enumFlag(values, 'context', ['1', '3'], { default: '1' });
    const out = resolveModelDir(values.out);
    const started = Date.now();
    process.stderr.write(`writing an UNTRAINED ${size}px InceptionV3 model (seed ${seed}) to ${out}...\n`);
    const card = await initModel({
      out,
      inputSize: size,
      seed,
      contextSlices: context === '3' ? 3 : 1,
      onnx: !values['no-onnx'],
    });
    if (values.json) process.stdout.write(`${JSON.stringify({ dir: out, card })}\n`);
    else
      process.stdout.write(
        `${out}: ${card.name} ${card.version}, ${card.architecture.totalParameters.toLocaleString('en')} parameters, ` +
          `${card.files.onnx ? 'tfjs + ONNX' : 'tfjs only'}, ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
      );
    return 0;
  },
};

export default command;
