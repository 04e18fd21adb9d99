import { AppError } from '@ich/errors';
import { ProgressBar } from '../../inference/progress-bar.js';
import { MAX_INPUT_SIZE, MIN_INPUT_SIZE } from '../../model/config.js';
import { torchAvailability, trainTorch } from '../../train/torch-trainer.js';
import { train } from '../../train/train.js';
import { type Command, parseCommandLine } from '../command.js';
import { enumFlag, intFlag, numberFlag } from '../flags.js';

const usage =
  'ich-ml train --data <dir> --labels <csv> --out <model dir> [--epochs N] [--batch N] [--size N] [--lr X] [--val-fraction X] [--resume] [--context 1|3] [--workers N] [--oversample X] [--patience N] [--seed S] [--trainer torch|tfjs] [--threads N] [--training-data TEXT] [--backend tfjs-node-gpu|tfjs-node|wasm|cpu] [--no-augment] [--float16] [--index <file>] [--json]';

const command: Command = {
  name: 'train',
  summary:
    'Train InceptionV3 on labelled DICOM (RSNA ID,Label or ich-ml synth output): weighted log loss, patient split, augmentation, checkpoints and resume, early stopping; writes a complete model directory.',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandLine(argv, usage, {
      data: { type: 'string' },
      labels: { type: 'string' },
      out: { type: 'string' },
      epochs: { type: 'string' },
      batch: { type: 'string' },
      size: { type: 'string' },
      lr: { type: 'string' },
      'val-fraction': { type: 'string' },
      resume: { type: 'boolean', default: false },
      context: { type: 'string' },
      workers: { type: 'string' },
      oversample: { type: 'string' },
      patience: { type: 'string' },
      seed: { type: 'string', default: 'ich-train' },
      backend: { type: 'string' },
      trainer: { type: 'string' },
      threads: { type: 'string' },
      'training-data': { type: 'string' },
      'no-augment': { type: 'boolean', default: false },
      float16: { type: 'boolean', default: false },
      index: { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    if (positionals.length > 0)
      throw new AppError('BAD_USER_INPUT', `unexpected argument "${positionals[0]}" (usage: ${usage})`);
    for (const flag of ['data', 'labels', 'out'] as const)
      if (!values[flag]) throw new AppError('BAD_USER_INPUT', `--${flag} is required (usage: ${usage})`);
    const epochs = intFlag(values, 'epochs', { min: 1, max: 1000, default: 10 });
    const batchSize = intFlag(values, 'batch', { min: 1, max: 512, default: 16 });
    const size = intFlag(values, 'size', { min: MIN_INPUT_SIZE, max: MAX_INPUT_SIZE, default: 128 });
    const workers = intFlag(values, 'workers', { min: 0, max: 64, default: 1 });
    const patience = intFlag(values, 'patience', { min: 1, max: 1000, default: 3 });
    const lr = numberFlag(values, 'lr', { min: 1e-7, max: 1, default: 0.001 });
    const valFraction = numberFlag(values, 'val-fraction', { min: 0, max: 0.9, default: 0.2 });
    const oversample = numberFlag(values, 'oversample', { min: 1, max: 100, default: 2 });
    const context = enumFlag(values, 'context', ['1', '3'], { default: '1' });
    const threads = intFlag(values, 'threads', { min: 1, max: 256, default: 2 });
    // PyTorch (Debian's python3-torch) when it is installed: ~20x the images/s of tfjs-wasm on these CPUs. Optional,
    // like tfjs-node: without it the tfjs trainer runs.
    let trainer = enumFlag(values, 'trainer', ['torch', 'tfjs']);
    if (!trainer) {
      const torch = torchAvailability();
      trainer = torch.ok ? 'torch' : 'tfjs';
      if (!torch.ok) process.stderr.write(`train: tfjs trainer (${torch.reason})\n`);
    }
    if (trainer === 'torch' && values.backend)
      throw new AppError('BAD_USER_INPUT', '--backend chooses a tfjs backend; it does not apply to --trainer torch');

    const indexing = new ProgressBar('indexing headers');
    const stepping = new ProgressBar('train');
    const run = trainer === 'torch' ? trainTorch : train;
    const result = await run({
      dataDir: values.data!,
      labels: values.labels!,
      out: values.out!,
      epochs,
      batchSize,
      size,
      lr,
      valFraction,
      resume: values.resume === true,
      context: context === '3' ? 3 : 1,
      workers,
      oversample,
      patience,
      seed: values.seed!,
      augment: values['no-augment'] !== true,
      float16: values.float16 === true,
      ...(values.backend ? { backend: values.backend } : {}),
      ...(values.index ? { indexFile: values.index } : {}),
      threads,
      ...(values['training-data'] ? { trainingData: values['training-data'] } : {}),
      onLog: (line) => process.stderr.write(`${line}\n`),
      onIndexProgress: (d, t) => {
        indexing.update(d, t, 'files');
        if (d === t) indexing.done();
      },
      onStep: (s) =>
        stepping.update(
          s.step,
          s.steps,
          `epoch ${s.epoch + 1}/${s.epochs} loss ${s.loss.toFixed(4)} ${s.imagesPerSecond.toFixed(2)} img/s ETA ${formatSeconds(s.etaSeconds)}`,
        ),
      onEpoch: (r) => {
        stepping.done();
        process.stderr.write(
          `epoch ${r.epoch + 1}: train ${r.trainLoss.toFixed(4)}  val ${r.valLoss?.toFixed(4) ?? '-'}  val any AUC ${r.valAnyAuc?.toFixed(3) ?? '-'}  lr ${r.lr.toExponential(2)}  ${r.imagesPerSecond.toFixed(2)} img/s${r.improved ? '  (best)' : ''}\n`,
        );
      },
    });
    const summary = {
      out: values.out,
      backend: result.backend,
      epochsDone: result.state.epoch,
      bestEpoch: result.state.bestEpoch + 1,
      bestValLoss: result.state.bestValLoss,
      stoppedEarly: result.stoppedEarly,
      trainImages: result.train,
      valImages: result.val,
      card: result.card ? { name: result.card.name, version: result.card.version, metrics: result.card.metrics } : null,
    };
    if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else
      process.stdout.write(
        `trained ${summary.epochsDone} epoch(s) on ${result.backend}; best epoch ${summary.bestEpoch}, val loss ${summary.bestValLoss.toFixed(4)}${result.card ? `; model written to ${values.out}` : ''}\n`,
      );
    return 0;
  },
};

export default command;

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}
