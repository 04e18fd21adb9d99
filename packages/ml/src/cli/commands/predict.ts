import { AppError } from '@ich/errors';
import { closeSharedDecodePool } from '../../decode/pool.js';
import { disposeSharedEngines } from '../../engines/select-engine.js';
import { type PredictReport, predictFiles } from '../../inference/predict-files.js';
import { ProgressBar } from '../../inference/progress-bar.js';
import { LABELS } from '../../labels.js';
import { AGGREGATIONS } from '../../model/card.js';
import { type Command, parseCommandLine } from '../command.js';
import { enumFlag } from '../flags.js';
import { MODEL_RUN_OPTIONS, MODEL_RUN_USAGE, modelDirFromArgument, modelRunFlags } from '../model-run.js';

const usage = `ich-ml predict <files or folders...> ${MODEL_RUN_USAGE} [--aggregation ${AGGREGATIONS.join('|')}] [--json]`;

const SHORT: Record<(typeof LABELS)[number], string> = {
  any: 'any',
  epidural: 'EDH',
  intraparenchymal: 'IPH',
  intraventricular: 'IVH',
  subarachnoid: 'SAH',
  subdural: 'SDH',
};

const command: Command = {
  name: 'predict',
  summary:
    'Run the model on DICOM files or folders: per-slice and per-study probabilities and the triage flag (unreadable files are reported, not fatal).',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandLine(argv, usage, {
      ...MODEL_RUN_OPTIONS,
      aggregation: { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    if (positionals.length === 0) throw new AppError('BAD_USER_INPUT', `no files or folders given (usage: ${usage})`);
    const { engine, batchSize } = modelRunFlags(values);
    const aggregation = enumFlag(values, 'aggregation', AGGREGATIONS);
    const modelDir = await modelDirFromArgument(values.model);
    const json = values.json === true;

    const loading = new ProgressBar('reading DICOM');
    const inferring = new ProgressBar('inference  ');
    try {
      const report = await predictFiles(positionals, {
        modelDir,
        engine,
        batchSize,
        ...(aggregation ? { aggregation } : {}),
        ...(json
          ? {}
          : {
              onLoadProgress: (d: number, t: number) => {
                loading.update(d, t);
                if (d === t) loading.done();
              },
              onInferProgress: (i: number, n: number, d: number, t: number) => {
                inferring.update(d, t, n > 1 ? `slices (study ${i + 1}/${n})` : 'slices');
                if (d === t) inferring.done();
              },
            }),
      });
      if (json) process.stdout.write(`${JSON.stringify(report)}\n`);
      else process.stdout.write(formatTable(report));
      if (report.studies.length === 0) {
        const first = report.rejected[0];
        throw new AppError(
          first?.code ?? 'BAD_USER_INPUT',
          `no usable CT study in the inputs (${report.rejected.length} file(s) rejected${first ? `; first: ${first.path}: ${first.message}` : ''})`,
        );
      }
      return 0;
    } finally {
      await disposeSharedEngines();
      await closeSharedDecodePool();
    }
  },
};

export default command;

export function formatTable(report: PredictReport): string {
  const lines: string[] = [];
  const m = report.model;
  lines.push(
    `model   ${m.name} ${m.version}${m.status === 'untrained' ? '  (UNTRAINED: random weights, outputs are meaningless)' : ''}`,
  );
  lines.push(`engine  ${report.engine}`);
  lines.push('');
  const header = ['study', 'slices', 'triage', ...LABELS.map((l) => SHORT[l])];
  const rows = report.studies.map((s) => [
    s.studyInstanceUid,
    String(s.slices.length),
    s.triage ? 'YES' : 'no',
    ...LABELS.map((l) => s.probabilities[l].toFixed(3)),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]): string =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  lines.push(fmt(header), ...rows.map(fmt));
  if (report.rejected.length > 0) {
    lines.push('', `${report.rejected.length} file(s) rejected:`);
    for (const r of report.rejected) lines.push(`  ${r.path}: ${r.code}: ${r.message}`);
  }
  return `${lines.join('\n')}\n`;
}
