import { AppError } from '@ich/errors';
import { exportOnnxInDir } from '../../model/model-dir.js';
import { resolveModelDir } from '../../model/resolve-model-dir.js';
import { type Command, parseCommandLine } from '../command.js';

const usage = 'ich-ml export-onnx [<model dir>] [--json]';

const command: Command = {
  name: 'export-onnx',
  summary: "Export a model directory's tfjs model to ONNX (model.onnx next to model.json) and record it in the card.",
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandLine(argv, usage, { json: { type: 'boolean', default: false } });
    if (positionals.length > 1) throw new AppError('BAD_USER_INPUT', `expected one model directory (usage: ${usage})`);
    const dir = resolveModelDir(positionals[0]);
    const started = Date.now();
    const { file, bytes, card } = await exportOnnxInDir(dir);
    if (values.json)
      process.stdout.write(`${JSON.stringify({ file, bytes, model: { name: card.name, version: card.version } })}\n`);
    else
      process.stdout.write(
        `${file}: ${(bytes / 1e6).toFixed(1)} MB, ${card.name} ${card.version}, ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
      );
    return 0;
  },
};

export default command;
