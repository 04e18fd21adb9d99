import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '@ich/errors';
import { formatLongForm } from '../../dataset/label-table.js';
import { LABELS } from '../../labels.js';
import { BLEED_TYPES, type BleedType } from '../../synth/phantom.js';
import { SYNTH_SYNTAXES, type SynthOptions, type SynthSyntax, synthStudy } from '../../synth/study.js';
import { type Command, parseCommandLine } from '../command.js';

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
      studies: { type: 'string', default: '1' },
      slices: { type: 'string', default: '32' },
      size: { type: 'string', default: '512' },
      seed: { type: 'string', default: '1' },
      bleed: { type: 'string', default: 'random' },
      syntax: { type: 'string', default: 'explicit-le' },
      encoding: { type: 'string', default: 'signed' },
      'studies-per-patient': { type: 'string', default: '1' },
      json: { type: 'boolean', default: false },
    });
    if (positionals.length > 0)
      throw new AppError('BAD_USER_INPUT', `unexpected argument "${positionals[0]}" (usage: ${usage})`);
    if (!values.out) throw new AppError('BAD_USER_INPUT', `--out <dir> is required (usage: ${usage})`);
    const studies = integer('--studies', values.studies, 1, 100_000);
    const slices = integer('--slices', values.slices, 1, 1000);
    const size = integer('--size', values.size, 16, 2048);
    const perPatient = integer('--studies-per-patient', values['studies-per-patient'], 1, 100);
    const bleed = values.bleed as string;
    if (bleed !== 'none' && bleed !== 'random' && !(BLEED_TYPES as readonly string[]).includes(bleed)) {
      throw new AppError(
        'BAD_USER_INPUT',
        `--bleed must be none, random or one of ${BLEED_TYPES.join(', ')}; got "${bleed}"`,
      );
    }
    const syntax = values.syntax as string;
    if (!Object.hasOwn(SYNTH_SYNTAXES, syntax))
      throw new AppError(
        'BAD_USER_INPUT',
        `--syntax must be one of ${Object.keys(SYNTH_SYNTAXES).join(', ')}; got "${syntax}"`,
      );
    const encoding = values.encoding as string;
    if (!['signed', 'unsigned', 'rsna-quirk'].includes(encoding))
      throw new AppError('BAD_USER_INPUT', `--encoding must be signed, unsigned or rsna-quirk; got "${encoding}"`);

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
        bleed: bleed as SynthOptions['bleed'] & (BleedType | 'none' | 'random'),
        transferSyntax: syntax as SynthSyntax,
        encoding: encoding as NonNullable<SynthOptions['encoding']>,
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
      transferSyntaxUid: SYNTH_SYNTAXES[syntax as SynthSyntax],
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

function integer(flag: string, value: string | undefined, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new AppError('BAD_USER_INPUT', `${flag} must be an integer in ${min}..${max}, not "${value}"`);
  return n;
}
