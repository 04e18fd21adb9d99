import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '@ich/prisma';
import { hashSecret, newSecret } from '../src/auth/secrets.js';

const LABELS = ['epidural', 'intraparenchymal', 'intraventricular', 'subarachnoid', 'subdural'];
const CHUNK = 500;

/** Deterministic pseudo-random numbers so every run seeds the same worklist. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

export interface Seeded {
  studies: number;
  patients: number;
  /** A session secret for a clinician, valid for a day. */
  token: string;
}

/**
 * A worklist of `studies` synthetic studies over a quarter as many patients: ~15% suspected bleeds, ~75% negative,
 * ~10% not yet predicted, spread over 30 days of arrivals; each predicted study has one prediction.
 */
export async function seedWorklist(
  prisma: PrismaClient,
  studies: number,
  progress: (line: string) => void,
): Promise<Seeded> {
  const random = rng(42);
  const model = await prisma.modelVersion.create({
    data: {
      name: 'ich-inceptionv3',
      version: 'bench',
      card: '{}',
      directory: '/bench',
      weightsHash: '0'.repeat(64),
      active: true,
    },
  });
  const patientCount = Math.max(1, Math.floor(studies / 4));
  const patientIds: string[] = [];
  for (let i = 0; i < patientCount; i += CHUNK) {
    const rows = Array.from({ length: Math.min(CHUNK, patientCount - i) }, (_, k) => ({
      id: randomUUID(),
      patientId: `BENCH-${i + k}`,
      name: `Patient^${String(i + k).padStart(5, '0')}`,
      sex: random() < 0.5 ? 'F' : 'M',
      birthDate: '19600101',
    }));
    await prisma.patient.createMany({ data: rows });
    patientIds.push(...rows.map((r) => r.id));
  }
  const start = Date.now() - 30 * 86_400_000;
  for (let i = 0; i < studies; i += CHUNK) {
    const studyRows = [];
    const predictionRows = [];
    for (let k = 0; k < Math.min(CHUNK, studies - i); k += 1) {
      const id = randomUUID();
      const r = random();
      const predicted = r >= 0.1;
      const bleed = predicted && r < 0.25;
      const labels = bleed ? LABELS.filter(() => random() < 0.35) : [];
      if (bleed && labels.length === 0) labels.push('subdural');
      studyRows.push({
        id,
        studyInstanceUid: `2.25.${i + k}.${Math.floor(random() * 1e9)}`,
        patientId: patientIds[Math.floor(random() * patientIds.length)]!,
        accessionNumber: `ACC${String(i + k).padStart(7, '0')}`,
        description: 'CT HEAD WO CONTRAST',
        status: predicted ? ('DONE' as const) : random() < 0.5 ? ('QUEUED' as const) : ('PROCESSING' as const),
        triage: predicted ? bleed : null,
        priority: predicted ? (bleed ? 2 : 1) : 0,
        anyScore: predicted ? (bleed ? 0.6 + random() * 0.4 : random() * 0.4) : null,
        positiveLabels: labels.join(' '),
        reviewed: predicted && random() < 0.5,
        instanceCount: 32,
        receivedAt: new Date(start + Math.floor(random() * 30 * 86_400_000)),
      });
      if (predicted) {
        predictionRows.push({
          studyId: id,
          modelVersionId: model.id,
          any: bleed ? 0.9 : 0.1,
          epidural: labels.includes('epidural') ? 0.8 : 0.02,
          intraparenchymal: labels.includes('intraparenchymal') ? 0.8 : 0.02,
          intraventricular: labels.includes('intraventricular') ? 0.8 : 0.02,
          subarachnoid: labels.includes('subarachnoid') ? 0.8 : 0.02,
          subdural: labels.includes('subdural') ? 0.8 : 0.02,
          triage: bleed,
          engine: 'onnx',
          durationMs: 1500,
        });
      }
    }
    await prisma.study.createMany({ data: studyRows });
    if (predictionRows.length > 0) await prisma.studyPrediction.createMany({ data: predictionRows });
    progress(`seeded ${Math.min(i + CHUNK, studies)}/${studies} studies`);
  }
  const user = await prisma.user.create({
    data: { email: 'bench@example.org', name: 'Bench', role: 'CLINICIAN', passwordHash: 'unused' },
  });
  const token = newSecret('session');
  await prisma.session.create({
    data: { userId: user.id, tokenHash: hashSecret(token), expiresAt: new Date(Date.now() + 86_400_000) },
  });
  return { studies, patients: patientCount, token };
}
