import { createHash, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type SynthOptions, synthStudy } from '@ich/ml/node';
import type { PrismaClient } from '@ich/prisma';

/**
 * A synthetic study (`ich-ml synth`'s generator) as ingest leaves it: real DICOM files under STORAGE_DIR by content
 * hash, and Patient → Study → Series → Instance rows pointing at them (storageKey relative to STORAGE_DIR). Rows
 * are created in reverse slice order so tests can tell slice order from insertion order.
 */
export async function storeSynthStudy(
  prisma: PrismaClient,
  storageDir: string,
  options: SynthOptions & { status?: 'RECEIVING' | 'QUEUED' } = {},
) {
  const synth = synthStudy({ slices: 6, size: 64, seed: randomUUID(), ...options });
  const patient = await prisma.patient.create({
    data: { patientId: `${synth.patientId}-${randomUUID().slice(0, 6)}`, name: synth.patientName },
  });
  const study = await prisma.study.create({
    data: {
      studyInstanceUid: synth.studyInstanceUid,
      patientId: patient.id,
      description: synth.studyDescription,
      status: options.status ?? 'RECEIVING',
      instanceCount: synth.files.length,
    },
  });
  const series = await prisma.series.create({
    data: { seriesInstanceUid: synth.seriesInstanceUid, studyId: study.id, seriesNumber: 1, modality: 'CT' },
  });
  const instances: { id: string; sopInstanceUid: string; instanceNumber: number }[] = [];
  for (const file of [...synth.files].reverse()) {
    const hash = createHash('sha256').update(file.bytes).digest('hex');
    const storageKey = path.join(hash.slice(0, 2), hash);
    await mkdir(path.join(storageDir, hash.slice(0, 2)), { recursive: true });
    await writeFile(path.join(storageDir, storageKey), file.bytes);
    const row = await prisma.instance.create({
      data: {
        sopInstanceUid: file.sopInstanceUid,
        seriesId: series.id,
        instanceNumber: file.instanceNumber,
        rows: options.size ?? 64,
        columns: options.size ?? 64,
        transferSyntaxUid: '1.2.840.10008.1.2.1',
        contentHash: hash,
        storageKey,
        sizeBytes: file.bytes.length,
      },
      select: { id: true, sopInstanceUid: true, instanceNumber: true },
    });
    instances.push({ ...row, instanceNumber: file.instanceNumber });
  }
  return { synth, patient, study, series, instances };
}
