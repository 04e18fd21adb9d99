import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '@ich/prisma';
import { createPasswordHasher, LOW_COST_PASSWORD_PARAMS } from '../../src/auth/password.js';

/** Tests hash with cheap argon2id parameters: same algorithm and code path as production, ~1 ms per hash. */
export const testPasswords = createPasswordHasher(LOW_COST_PASSWORD_PARAMS);

export const LABELS = ['epidural', 'intraparenchymal', 'intraventricular', 'subarachnoid', 'subdural'] as const;

const uid = () => `2.25.${BigInt(`0x${randomUUID().replaceAll('-', '')}`).toString()}`;

export interface UserSpec {
  email?: string;
  name?: string;
  role?: 'ADMIN' | 'CLINICIAN';
  password?: string;
  active?: boolean;
}

export async function createUser(prisma: PrismaClient, spec: UserSpec = {}) {
  const password = spec.password ?? `pw-${randomUUID()}`;
  const user = await prisma.user.create({
    data: {
      email: (spec.email ?? `user-${randomUUID().slice(0, 8)}@example.org`).toLowerCase(),
      name: spec.name ?? 'Test User',
      role: spec.role ?? 'CLINICIAN',
      active: spec.active ?? true,
      passwordHash: await testPasswords.hash(password),
    },
  });
  return { user, password };
}

/** A complete model card (what `parseModelCard` accepts), e.g. to declare accuracy targets. */
export function modelCard(version: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    format: 'ich-model-card/1',
    name: 'ich-inceptionv3',
    version,
    status: 'trained',
    createdAt: '2026-11-01T00:00:00.000Z',
    architecture: {
      base: 'InceptionV3',
      denseUnits: 64,
      dropout: 0.3,
      baseParameters: 21_802_784,
      totalParameters: 21_933_862,
    },
    inputSize: 299,
    windows: [{ name: 'brain', center: 40, width: 80 }],
    contextSlices: 1,
    labels: ['any', 'epidural', 'intraparenchymal', 'intraventricular', 'subarachnoid', 'subdural'],
    thresholds: {
      any: 0.5,
      epidural: 0.5,
      intraparenchymal: 0.5,
      intraventricular: 0.5,
      subarachnoid: 0.5,
      subdural: 0.5,
    },
    aggregation: 'max',
    trainingData: 'synthetic phantoms',
    metrics: null,
    intendedUse: 'test',
    limitations: [],
    weightsHash: `sha256:${'f'.repeat(64)}`,
    files: { tfjs: 'model.json', onnx: null },
    ...extra,
  };
}

export async function createModelVersion(
  prisma: PrismaClient,
  spec: { active?: boolean; version?: string; card?: Record<string, unknown> } = {},
) {
  const version = spec.version ?? randomUUID().slice(0, 8);
  return prisma.modelVersion.create({
    data: {
      name: 'ich-inceptionv3',
      version,
      card: JSON.stringify(
        spec.card ?? {
          inputSize: 299,
          windows: ['brain', 'subdural', 'soft'],
          threshold: 0.5,
          trainedOn: 'synthetic phantoms',
        },
      ),
      directory: `/models/${version}`,
      weightsHash: 'f'.repeat(64),
      active: spec.active ?? false,
    },
  });
}

export interface StudySpec {
  patientName?: string;
  patientId?: string;
  /** An existing patient (row id) instead of a new one. */
  patient?: string;
  description?: string;
  accessionNumber?: string;
  status?: 'RECEIVING' | 'QUEUED' | 'PROCESSING' | 'DONE' | 'FAILED';
  /** With a model version and a status of DONE, a prediction is stored: scores derive from `labels`. */
  labels?: ReadonlyArray<(typeof LABELS)[number]>;
  modelVersionId?: string;
  receivedAt?: Date;
  reviewed?: boolean;
  slices?: number;
}

/** A study with one CT series, its instances and, when DONE, a study prediction with per-slice predictions. */
export async function createStudy(prisma: PrismaClient, spec: StudySpec = {}) {
  const patient = spec.patient
    ? await prisma.patient.findUniqueOrThrow({ where: { id: spec.patient } })
    : await prisma.patient.create({
        data: {
          patientId: spec.patientId ?? `PID-${randomUUID().slice(0, 8)}`,
          name: spec.patientName ?? 'Doe^Jane',
          sex: 'F',
          birthDate: '19700101',
        },
      });
  const status = spec.status ?? 'DONE';
  const labels = spec.labels ?? [];
  const predicted = status === 'DONE' && spec.modelVersionId !== undefined;
  const triage = predicted ? labels.length > 0 : null;
  const sliceCount = spec.slices ?? 4;
  const study = await prisma.study.create({
    data: {
      studyInstanceUid: uid(),
      patientId: patient.id,
      accessionNumber: spec.accessionNumber ?? `ACC${Math.floor(Math.random() * 1e8)}`,
      description: spec.description ?? 'CT HEAD WO CONTRAST',
      status,
      triage,
      priority: triage === null ? 0 : triage ? 2 : 1,
      anyScore: predicted ? (labels.length > 0 ? 0.9 : 0.1) : null,
      positiveLabels: labels.join(' '),
      reviewed: spec.reviewed ?? false,
      instanceCount: sliceCount,
      ...(spec.receivedAt ? { receivedAt: spec.receivedAt } : {}),
    },
  });
  const series = await prisma.series.create({
    data: { seriesInstanceUid: uid(), studyId: study.id, seriesNumber: 2, description: 'AXIAL 5mm', modality: 'CT' },
  });
  const instances = [];
  // Created in reverse slice order so that a test can tell slice order from insertion order.
  for (let i = sliceCount - 1; i >= 0; i -= 1) {
    instances.push(
      await prisma.instance.create({
        data: {
          sopInstanceUid: uid(),
          seriesId: series.id,
          instanceNumber: i + 1,
          position: -5 * i,
          sliceIndex: i,
          rows: 512,
          columns: 512,
          transferSyntaxUid: '1.2.840.10008.1.2.1',
          contentHash: randomUUID(),
          storageKey: `k/${randomUUID()}`,
          sizeBytes: 524_288,
        },
      }),
    );
  }
  let prediction = null;
  if (predicted && spec.modelVersionId) {
    const score = (label: (typeof LABELS)[number]) => (labels.includes(label) ? 0.8 : 0.05);
    prediction = await prisma.studyPrediction.create({
      data: {
        studyId: study.id,
        modelVersionId: spec.modelVersionId,
        any: labels.length > 0 ? 0.9 : 0.1,
        epidural: score('epidural'),
        intraparenchymal: score('intraparenchymal'),
        intraventricular: score('intraventricular'),
        subarachnoid: score('subarachnoid'),
        subdural: score('subdural'),
        triage: labels.length > 0,
        engine: 'onnx',
        durationMs: 1234,
      },
    });
    for (const instance of instances) {
      const i = instance.sliceIndex ?? 0;
      await prisma.slicePrediction.create({
        data: {
          studyPredictionId: prediction.id,
          instanceId: instance.id,
          sliceIndex: i,
          any: i / 100,
          epidural: 0.01,
          intraparenchymal: 0.02,
          intraventricular: 0.03,
          subarachnoid: 0.04,
          subdural: 0.05,
        },
      });
    }
  }
  return { study, patient, series, prediction };
}
