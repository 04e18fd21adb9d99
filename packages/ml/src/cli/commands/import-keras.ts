import { AppError } from '@ich/errors';
import { importKeras } from '../../keras/import-keras.js';
import { MAX_INPUT_SIZE, MIN_INPUT_SIZE } from '../../model/config.js';
import { type Command, parseCommandLine } from '../command.js';
import { enumFlag, intFlag } from '../flags.js';

const usage =
  'ich-ml import-keras <model.h5> --out <dir> [--size N (default 299)] [--context 1|3] [--name S] [--version S]';

const command: Command = {
  name: 'import-keras',
  summary:
    "Import weights of the seed's Keras InceptionV3 + head (.h5) into a model directory (tfjs, ONNX, card); a mismatched shape is refused, naming the layer.",
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandLine(argv, usage, {
      out: { type: 'string' },
      size: { type: 'string' },
      context: { type: 'string' },
      name: { type: 'string' },
      version: { type: 'string' },
    });
    if (positionals.length !== 1) throw new AppError('BAD_USER_INPUT', `give exactly one .h5 file (usage: ${usage})`);
    if (!values.out) throw new AppError('BAD_USER_INPUT', `--out <dir> is required (usage: ${usage})`);
    const size = intFlag(values, 'size', { min: MIN_INPUT_SIZE, max: MAX_INPUT_SIZE, default: 299 });
    const context = enumFlag(values, 'context', ['1', '3'], { default: '1' });
    const card = await importKeras(positionals[0]!, {
      out: values.out,
      inputSize: size,
      contextSlices: context === '3' ? 3 : 1,
      ...(values.name ? { name: values.name } : {}),
      ...(values.version ? { version: values.version } : {}),
    });
    process.stdout.write(
      `imported ${positionals[0]} → ${values.out} (${card.name} ${card.version}, ${card.inputSize} px)\n`,
    );
    return 0;
  },
};

export default command;
