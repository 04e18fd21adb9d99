import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '@ich/errors';
import { formatLongForm } from '../../dataset/label-table.js';
import { LABELS } from '../../labels.js';
import { BLEED_TYPES } from '../../synth/phantom.js';
import { SYNTH_ENCODINGS, SYNTH_SYNTAXES, type SynthOptions, type SynthSyntax, synthStudy } from '../../synth/study.js';
import { type Command, parseCommandLine } from '../command.js';
import { enumFlag, intFlag } from '../flags.js';

const usage =
  'ich-ml synth --out <dir> [--studies N] [--slices N] [--size N] [--seed S] [--bleed <subtype|none|random>] [--syntax explicit-le|implicit-le|explicit-be|deflated|rle] [--encoding signed|unsigned|rsna-quirk] [--studies-per-patient N] [--json]';

/** Writes synthetic head-CT phantom studies with known bleeds, plus labels.csv and manifest.json ground truth. */
const command: Command = {
  name: 'synth',
  summary:
    'Write synthetic head-CT DICOM studies with known bleeds (<dir>/<study>/<n>.dcm, labels.csv, labels-rsna.csv, manifest.json).',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandLine(argv, usage, {
      out: { type: 'string' },
      studies: { type: 'string' },
      slices: { type: 'string' },
      size: { type: 'string' },
      seed: { type: 'string', default: '1' },
      bleed: { type: 'string' },
      syntax: { type: 'string' },
      encoding: { type: 'string' },
      'studies-per-patient': { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    if (positionals.length > 0)
      throw new AppError('BAD_USER_INPUT', `unexpected argument "${positionals[0]}" (usage: ${usage})`);
    if (!values.out) throw new AppError('BAD_USER_INPUT', `--out <dir> is required (usage: ${usage})`);
    const studies = intFlag(values, 'studies', { min: 1, max: 100_000, default: 1 });
    const slices = intFlag(values, 'slices', { min: 1, max: 1000, default: 32 });
    const size = intFlag(values, 'size', { min: 16, max: 2048, default: 512 });
    const perPatient = intFlag(values, 'studies-per-patient', { min: 1, max: 100, default: 1 });
    const bleed = enumFlag(values, 'bleed', ['none', 'random', ...BLEED_TYPES], { default: 'random' });
    const syntax = enumFlag(values, 'syntax', Object.keys(SYNTH_SYNTAXES) as SynthSyntax[], { default: 'explicit-le' });
    const encoding = enumFlag(values, 'encoding', SYNTH_ENCODINGS, { default: 'signed' });

    const outDir = values.out;
    try {
      await mkdir(outDir, { recursive: true });
    } catch (thrown) {
      throw new AppError(
        'BAD_USER_INPUT',
        `cannot create ${outDir}: ${(thrown as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
    const csv = [
      ['study', 'file', 'studyInstanceUid', 'seriesInstanceUid', 'sopInstanceUid', 'instanceNumber', ...LABELS].join(
        ',',
      ),
    ];
    const longForm: { sopInstanceUid: string; values: number[] }[] = [];
    const manifest: unknown[] = [];
    const digits = Math.max(3, String(studies).length);
    for (let i = 0; i < studies; i += 1) {
      const folder = `study-${String(i + 1).padStart(digits, '0')}`;
      const options: SynthOptions = {
        seed: studies === 1 ? values.seed : `${values.seed}-${i + 1}`,
        slices,
        size,
        bleed,
        transferSyntax: syntax,
        encoding,
        // Several studies of one patient (follow-up scans), as in RSNA: what a patient-level split must respect.
        ...(perPatient > 1 ? { patientSeed: `${values.seed}-patient-${Math.floor(i / perPatient) + 1}` } : {}),
      };
      const study = synthStudy(options);
      await mkdir(join(outDir, folder), { recursive: true });
      for (const f of study.files) {
        await writeFile(join(outDir, folder, f.name), f.bytes);
        csv.push(
          [
            folder,
            `${folder}/${f.name}`,
            study.studyInstanceUid,
            study.seriesInstanceUid,
            f.sopInstanceUid,
            f.instanceNumber,
            ...LABELS.map((l) => f.labels[l]),
          ].join(','),
        );
        longForm.push({ sopInstanceUid: f.sopInstanceUid, values: LABELS.map((l) => f.labels[l]) });
      }
      manifest.push({
        folder,
        seed: options.seed,
        studyInstanceUid: study.studyInstanceUid,
        seriesInstanceUid: study.seriesInstanceUid,
        patientId: study.patientId,
        patientName: study.patientName,
        studyDate: study.studyDate,
        labels: study.labels,
        bleeds: study.bleeds,
        slices: study.files.map((f) => ({
          file: `${folder}/${f.name}`,
          sopInstanceUid: f.sopInstanceUid,
          instanceNumber: f.instanceNumber,
          labels: f.labels,
        })),
      });
      process.stderr.write(
        `synth: study ${i + 1}/${studies} ${folder} (${slices} slices, ${study.bleeds.map((b) => b.type).join('+') || 'no bleed'})\n`,
      );
    }
    await writeFile(join(outDir, 'labels.csv'), `${csv.join('\n')}\n`);
    // The same labels in the RSNA/Kaggle layout (ID_<SOPInstanceUID>_<subtype>,Label), for tools made for that data.
    await writeFile(join(outDir, 'labels-rsna.csv'), formatLongForm(longForm));
    const summary = {
      out: outDir,
      studies,
      slices,
      size,
      syntax,
      encoding,
      transferSyntaxUid: SYNTH_SYNTAXES[syntax],
      manifest: join(outDir, 'manifest.json'),
      labels: join(outDir, 'labels.csv'),
      labelsRsna: join(outDir, 'labels-rsna.csv'),
    };
    await writeFile(join(outDir, 'manifest.json'), `${JSON.stringify({ ...summary, studies: manifest }, null, 2)}\n`);
    if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else
      process.stdout.write(
        `wrote ${studies} stud${studies === 1 ? 'y' : 'ies'} × ${slices} slices to ${outDir} (labels.csv, labels-rsna.csv, manifest.json)\n`,
      );
    return 0;
  },
};

export default command;
