import { writeFile } from 'node:fs/promises';
import { AppError } from '@ich/errors';
import { imageKey, type LabelTable, readLabelTable } from '../../dataset/label-table.js';
import { closeSharedDecodePool } from '../../decode/pool.js';
import { disposeSharedEngines } from '../../engines/select-engine.js';
import { type EvaluatedImage, evaluateImages, formatReport, rocPng } from '../../evaluate/evaluate.js';
import { predictFiles } from '../../inference/predict-files.js';
import { ProgressBar } from '../../inference/progress-bar.js';
import { LABELS, type LabelProbabilities } from '../../labels.js';
import { AGGREGATIONS, type Aggregation } from '../../model/card.js';
import { readModelCard } from '../../model/model-dir.js';
import { type Command, parseCommandLine } from '../command.js';
import { enumFlag } from '../flags.js';
import { MODEL_RUN_OPTIONS, MODEL_RUN_USAGE, modelDirFromArgument, modelRunFlags } from '../model-run.js';

const usage = `ich-ml evaluate (--predictions <csv> | --model <dir> --data <dir>) --labels <csv> ${MODEL_RUN_USAGE} [--aggregation ${AGGREGATIONS.join('|')}] [--roc <png>] [--save-predictions <csv>] [--json]`;

const DEFAULT_THRESHOLD = 0.5;

const command: Command = {
  name: 'evaluate',
  summary:
    'Score predictions (a CSV, or the model run on DICOM folders) against labels: the RSNA weighted log loss, per-label log loss and AUC, sensitivity/specificity, study-level triage, ROC PNG.',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandLine(argv, usage, {
      predictions: { type: 'string' },
      labels: { type: 'string' },
      ...MODEL_RUN_OPTIONS,
      data: { type: 'string' },
      aggregation: { type: 'string' },
      roc: { type: 'string' },
      'save-predictions': { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    if (positionals.length > 0)
      throw new AppError('BAD_USER_INPUT', `unexpected argument "${positionals[0]}" (usage: ${usage})`);
    if (!values.labels) throw new AppError('BAD_USER_INPUT', `--labels <csv> is required (usage: ${usage})`);
    if ((values.predictions === undefined) === (values.data === undefined))
      throw new AppError('BAD_USER_INPUT', `give either --predictions <csv> or --data <dir> (usage: ${usage})`);
    const aggregationFlag = enumFlag(values, 'aggregation', AGGREGATIONS);
    const { engine, batchSize } = modelRunFlags(values);

    const truth = await readLabelTable(values.labels, { kind: 'truth' });
    let thresholds = Object.fromEntries(LABELS.map((l) => [l, DEFAULT_THRESHOLD])) as LabelProbabilities;
    let thresholdSource = `the default ${DEFAULT_THRESHOLD} (no model card given)`;
    let aggregation: Aggregation = aggregationFlag ?? 'max';
    const images: EvaluatedImage[] = [];
    let unmatched = 0;

    if (values.predictions !== undefined) {
      if (values.model !== undefined) {
        const card = await readModelCard(values.model);
        thresholds = card.thresholds;
        thresholdSource = `the card of ${card.name} ${card.version}`;
        aggregation = aggregationFlag ?? card.aggregation;
      }
      const predicted = await readLabelTable(values.predictions, { kind: 'probability' });
      for (const [id, p] of predicted) {
        const t = truth.get(id);
        if (!t) {
          unmatched++;
          continue;
        }
        const study = t.studyInstanceUid ?? p.studyInstanceUid;
        images.push({ id, truth: t.values, probability: p.values, ...(study ? { study } : {}) });
      }
    } else {
      const modelDir = await modelDirFromArgument(values.model);
      const loading = new ProgressBar('reading DICOM');
      const inferring = new ProgressBar('inference  ');
      try {
        const report = await predictFiles([values.data!], {
          modelDir,
          engine,
          batchSize,
          ...(aggregationFlag ? { aggregation: aggregationFlag } : {}),
          onLoadProgress: (d, t) => {
            loading.update(d, t);
            if (d === t) loading.done();
          },
          onInferProgress: (i, n, d, t) => {
            inferring.update(d, t, n > 1 ? `slices (study ${i + 1}/${n})` : 'slices');
            if (d === t) inferring.done();
          },
        });
        thresholds = report.model.thresholds;
        thresholdSource = `the card of ${report.model.name} ${report.model.version} (${report.model.status})`;
        aggregation = aggregationFlag ?? report.model.aggregation;
        if (report.rejected.length > 0)
          process.stderr.write(
            `evaluate: ${report.rejected.length} file(s) rejected (first: ${report.rejected[0]!.path})\n`,
          );
        for (const s of report.studies)
          for (const slice of s.slices) {
            const id = imageKey(slice.sopInstanceUid);
            const t = truth.get(id);
            if (!t) {
              unmatched++;
              continue;
            }
            images.push({
              id,
              truth: t.values,
              probability: LABELS.map((l) => slice.probabilities[l]),
              study: s.studyInstanceUid,
            });
          }
      } finally {
        await disposeSharedEngines();
        await closeSharedDecodePool();
      }
    }
    if (unmatched > 0) process.stderr.write(`evaluate: ${unmatched} predicted image(s) have no label; skipped\n`);
    const missing = countMissing(truth, images);
    if (missing > 0) process.stderr.write(`evaluate: ${missing} labelled image(s) have no prediction; skipped\n`);

    const report = evaluateImages(images, { thresholds, thresholdSource, aggregation });
    if (values.roc) await writeFile(values.roc, rocPng(images));
    if (values['save-predictions']) {
      const rows = [`sopInstanceUid,studyInstanceUid,${LABELS.join(',')}`];
      for (const im of images)
        rows.push([im.id, im.study ?? '', ...Array.from(im.probability as ArrayLike<number>, String)].join(','));
      await writeFile(values['save-predictions'], `${rows.join('\n')}\n`);
    }
    process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : formatReport(report));
    return 0;
  },
};

export default command;

function countMissing(truth: LabelTable, images: readonly EvaluatedImage[]): number {
  const seen = new Set(images.map((im) => im.id));
  let missing = 0;
  for (const id of truth.keys()) if (!seen.has(id)) missing++;
  return missing;
}
