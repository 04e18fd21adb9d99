import { writeFile } from 'node:fs/promises';
import { AppError } from '@ich/errors';
import { formatLongForm } from '../../dataset/label-table.js';
import { closeSharedDecodePool } from '../../decode/pool.js';
import { disposeSharedEngines } from '../../engines/select-engine.js';
import { predictFiles } from '../../inference/predict-files.js';
import { ProgressBar } from '../../inference/progress-bar.js';
import { LABELS } from '../../labels.js';
import { type Command, parseCommandLine } from '../command.js';
import { MODEL_RUN_OPTIONS, MODEL_RUN_USAGE, modelDirFromArgument, modelRunFlags } from '../model-run.js';

const usage = `ich-ml submission --data <dir> --out <sub.csv> ${MODEL_RUN_USAGE}`;

/** Writes the Kaggle RSNA 2019 submission file: `ID,Label` with ID_<SOPInstanceUID>_<subtype>, six rows per image. */
const command: Command = {
  name: 'submission',
  summary:
    'Run the model on a folder of DICOM files and write the Kaggle ID,Label submission CSV (six rows per image).',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandLine(argv, usage, {
      data: { type: 'string' },
      out: { type: 'string' },
      ...MODEL_RUN_OPTIONS,
    });
    if (positionals.length > 0)
      throw new AppError('BAD_USER_INPUT', `unexpected argument "${positionals[0]}" (usage: ${usage})`);
    if (!values.data || !values.out)
      throw new AppError('BAD_USER_INPUT', `--data and --out are required (usage: ${usage})`);
    const { engine, batchSize } = modelRunFlags(values);
    const loading = new ProgressBar('reading DICOM');
    const inferring = new ProgressBar('inference  ');
    try {
      const report = await predictFiles([values.data], {
        modelDir: await modelDirFromArgument(values.model),
        engine,
        batchSize,
        onLoadProgress: (d, t) => {
          loading.update(d, t);
          if (d === t) loading.done();
        },
        onInferProgress: (i, n, d, t) => {
          inferring.update(d, t, n > 1 ? `slices (study ${i + 1}/${n})` : 'slices');
          if (d === t) inferring.done();
        },
      });
      const rows = report.studies.flatMap((s) =>
        s.slices.map((slice) => ({
          sopInstanceUid: slice.sopInstanceUid,
          values: LABELS.map((l) => slice.probabilities[l]),
        })),
      );
      if (rows.length === 0) throw new AppError('BAD_USER_INPUT', `no usable CT image under ${values.data}`);
      await writeFile(values.out, formatLongForm(rows));
      if (report.rejected.length > 0)
        process.stderr.write(
          `submission: ${report.rejected.length} file(s) rejected (first: ${report.rejected[0]!.path})\n`,
        );
      process.stdout.write(
        `wrote ${rows.length * LABELS.length} rows (${rows.length} images) to ${values.out} with ${report.model.name} ${report.model.version} (${report.model.status})\n`,
      );
      return 0;
    } finally {
      await disposeSharedEngines();
      await closeSharedDecodePool();
    }
  },
};

export default command;
