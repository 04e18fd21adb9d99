import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { synthStudy } from '@ich/ml/node';
import { createSqliteAdapter, PrismaClient } from '@ich/prisma/sqlite';
import type { RunningProduct } from './product.js';

export const SUBTYPES = ['epidural', 'intraparenchymal', 'intraventricular', 'subarachnoid', 'subdural'] as const;
export type Subtype = (typeof SUBTYPES)[number];

/**
 * Writes rows straight into a running product's SQLite database (the API's default, ICH_DATA_DIR/ich.db), for e2e
 * states that no UI can make quickly: thousands of studies, finished predictions. What the browser then reads goes
 * through the real API. seedStudy writes no images (a seeded study has no stored files); storeSyntheticStudy does.
 */
export function openProductDatabase(product: RunningProduct): PrismaClient {
  return new PrismaClient({ adapter: createSqliteAdapter(path.join(product.dataDir, 'ich.db')) });
}

const uid = () => `2.25.${BigInt(`0x${randomUUID().replaceAll('-', '')}`).toString()}`;

export interface SeedStudy {
  patientName: string;
  accession: string;
  labels?: readonly Subtype[];
  /** Without a prediction the study is QUEUED (or `status`). */
  predicted?: boolean;
  status?: 'RECEIVING' | 'QUEUED' | 'PROCESSING' | 'DONE' | 'FAILED';
  receivedAt?: Date;
  slices?: number;
}

/** One study with one axial CT series and, when predicted, per-slice probabilities peaking mid-stack. */
export async function seedStudy(
  prisma: PrismaClient,
  spec: SeedStudy,
): Promise<{ id: string; studyInstanceUid: string }> {
  const model = await prisma.modelVersion.findFirstOrThrow({ where: { active: true } });
  const labels = spec.labels ?? [];
  const predicted = spec.predicted ?? true;
  const slices = spec.slices ?? 24;
  const status = spec.status ?? (predicted ? 'DONE' : 'QUEUED');
  const triage = predicted ? labels.length > 0 : null;
  const patient = await prisma.patient.create({
    data: { patientId: `PID-${randomUUID().slice(0, 8)}`, name: spec.patientName, sex: 'O', birthDate: '19600101' },
  });
  const study = await prisma.study.create({
    data: {
      studyInstanceUid: uid(),
      patientId: patient.id,
      accessionNumber: spec.accession,
      description: 'CT HEAD WO CONTRAST',
      status,
      triage,
      priority: triage === null ? 0 : triage ? 2 : 1,
      anyScore: predicted ? (labels.length > 0 ? 0.93 : 0.04) : null,
      positiveLabels: labels.join(' '),
      instanceCount: slices,
      ...(spec.receivedAt ? { receivedAt: spec.receivedAt } : {}),
    },
  });
  const series = await prisma.series.create({
    data: { seriesInstanceUid: uid(), studyId: study.id, seriesNumber: 2, description: 'AXIAL 5mm', modality: 'CT' },
  });
  const instances = [];
  for (let i = 0; i < slices; i++)
    instances.push(
      await prisma.instance.create({
        data: {
          sopInstanceUid: uid(),
          seriesId: series.id,
          instanceNumber: i + 1,
          position: 60 - 5 * i,
          sliceIndex: i,
          rows: 512,
          columns: 512,
          transferSyntaxUid: '1.2.840.10008.1.2.1',
          contentHash: randomUUID(),
          storageKey: `seed/${randomUUID()}`,
          sizeBytes: 524_288,
        },
      }),
    );
  if (predicted) {
    const score = (label: Subtype) => (labels.includes(label) ? 0.88 : 0.03);
    const prediction = await prisma.studyPrediction.create({
      data: {
        studyId: study.id,
        modelVersionId: model.id,
        any: labels.length > 0 ? 0.93 : 0.04,
        epidural: score('epidural'),
        intraparenchymal: score('intraparenchymal'),
        intraventricular: score('intraventricular'),
        subarachnoid: score('subarachnoid'),
        subdural: score('subdural'),
        triage: labels.length > 0,
        engine: 'onnxruntime-node',
        durationMs: 2100,
      },
    });
    const mid = (slices - 1) / 2;
    await prisma.slicePrediction.createMany({
      data: instances.map((inst, i) => {
        const bump = labels.length > 0 ? Math.exp(-(((i - mid) / 3) ** 2)) * 0.9 : 0.02;
        return {
          studyPredictionId: prediction.id,
          instanceId: inst.id,
          sliceIndex: i,
          any: Math.min(0.99, 0.02 + bump),
          epidural: labels.includes('epidural') ? bump : 0.01,
          intraparenchymal: labels.includes('intraparenchymal') ? bump * 0.8 : 0.01,
          intraventricular: labels.includes('intraventricular') ? bump * 0.6 : 0.01,
          subarachnoid: labels.includes('subarachnoid') ? bump * 0.7 : 0.01,
          subdural: labels.includes('subdural') ? bump : 0.01,
        };
      }),
    });
  }
  return { id: study.id, studyInstanceUid: study.studyInstanceUid };
}

/**
 * Many worklist rows at once (no series or images): a realistic mix of suspected bleeds, negatives and studies not yet
 * analyzed, spread over the last 30 days. Batched, so 10,000 take seconds.
 */
export async function seedManyStudies(prisma: PrismaClient, count: number): Promise<void> {
  const now = Date.now();
  const batch = 500;
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    const patients = Array.from({ length: n }, (_, k) => ({
      id: randomUUID(),
      patientId: `BULK-${start + k}`,
      name: `Bulk^Patient${start + k}`,
    }));
    await prisma.patient.createMany({ data: patients });
    await prisma.study.createMany({
      data: patients.map((p, k) => {
        const i = start + k;
        const kind = i % 10; // 1 in 10 suspected bleeds, 6 in 10 negative, 3 in 10 not analyzed
        const triage = kind === 0 ? true : kind < 7 ? false : null;
        return {
          studyInstanceUid: uid(),
          patientId: p.id,
          accessionNumber: `BULK${String(i).padStart(6, '0')}`,
          description: 'CT HEAD',
          status: triage === null ? 'QUEUED' : 'DONE',
          triage,
          priority: triage === null ? 0 : triage ? 2 : 1,
          anyScore: triage === null ? null : triage ? 0.9 : 0.05,
          positiveLabels: triage ? SUBTYPES[i % 5]! : '',
          instanceCount: 0,
          receivedAt: new Date(now - ((i * 9973) % (30 * 86_400_000))),
        } as const;
      }),
    });
  }
}

/**
 * A clinician's review of a seeded study's latest prediction, as the review mutation records it: the verdict on that
 * prediction's triage flag, linked to it, and the study marked reviewed.
 */
export async function seedReview(
  prisma: PrismaClient,
  spec: { studyId: string; reviewerId: string; verdict: 'AGREE' | 'DISAGREE' },
): Promise<void> {
  const prediction = await prisma.studyPrediction.findFirstOrThrow({
    where: { studyId: spec.studyId },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
  });
  await prisma.review.create({
    data: {
      studyId: spec.studyId,
      studyPredictionId: prediction.id,
      reviewerId: spec.reviewerId,
      verdict: spec.verdict,
    },
  });
  await prisma.study.update({ where: { id: spec.studyId }, data: { reviewed: true } });
}

/**
 * A 4-slice synthetic study stored the way ingest stores it (each file by SHA-256 under STORAGE_DIR's objects/, rows
 * pointing at it), left FAILED so that a reprocess through the API sends it to the worker. Returns the study id.
 */
export async function storeSyntheticStudy(product: RunningProduct, seed: string): Promise<string> {
  const synth = synthStudy({ slices: 4, size: 64, seed });
  const storage = path.join(product.dataDir, 'storage');
  const prisma = openProductDatabase(product);
  try {
    const patient = await prisma.patient.create({ data: { patientId: synth.patientId, name: synth.patientName } });
    const study = await prisma.study.create({
      data: { studyInstanceUid: synth.studyInstanceUid, patientId: patient.id, status: 'FAILED', instanceCount: 4 },
    });
    const series = await prisma.series.create({
      data: { seriesInstanceUid: synth.seriesInstanceUid, studyId: study.id, modality: 'CT' },
    });
    for (const f of synth.files) {
      const hash = createHash('sha256').update(f.bytes).digest('hex');
      const storageKey = `objects/${hash.slice(0, 2)}/${hash.slice(2, 4)}/${hash}.dcm`;
      mkdirSync(path.dirname(path.join(storage, storageKey)), { recursive: true });
      writeFileSync(path.join(storage, storageKey), f.bytes);
      await prisma.instance.create({
        data: {
          sopInstanceUid: f.sopInstanceUid,
          seriesId: series.id,
          instanceNumber: f.instanceNumber,
          rows: 64,
          columns: 64,
          transferSyntaxUid: '1.2.840.10008.1.2.1',
          contentHash: hash,
          storageKey,
          sizeBytes: f.bytes.length,
        },
      });
    }
    return study.id;
  } finally {
    await prisma.$disconnect();
  }
}
