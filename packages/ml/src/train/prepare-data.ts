import { AppError } from '@ich/errors';
import { buildDatasetIndex, type DatasetImage, joinLabels } from '../dataset/dataset-index.js';
import { readLabelTable } from '../dataset/label-table.js';
import { splitByPatient } from '../dataset/split.js';

/** Labels + header index → patient-split training and validation sets. */
export async function buildIndexForTraining(options: {
  readonly dataDir: string;
  readonly labels: string;
  readonly valFraction?: number;
  readonly seed?: string;
  readonly indexFile?: string;
  readonly onIndexProgress?: (done: number, total: number) => void;
}): Promise<{
  train: DatasetImage[];
  val: DatasetImage[];
  patients: { train: number; val: number };
  unlabelled: number;
  missingFiles: number;
}> {
  const labels = await readLabelTable(options.labels, { kind: 'truth' });
  const index = await buildDatasetIndex(options.dataDir, {
    ...(options.indexFile ? { indexFile: options.indexFile } : {}),
    ...(options.onIndexProgress ? { onProgress: options.onIndexProgress } : {}),
  });
  const { dataset, unlabelled, missingFiles } = joinLabels(index.images, labels);
  if (dataset.length === 0)
    throw new AppError('BAD_USER_INPUT', `no DICOM file under ${options.dataDir} has a row in ${options.labels}`);
  const split = splitByPatient(dataset, options.valFraction ?? 0.2, `${options.seed ?? 'ich-train'}:split`);
  return {
    train: split.train,
    val: split.val,
    patients: { train: split.trainPatients, val: split.valPatients },
    unlabelled,
    missingFiles,
  };
}
