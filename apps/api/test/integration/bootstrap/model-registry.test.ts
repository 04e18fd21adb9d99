import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initModel, readModelCard, shippedModelDir } from '@ich/ml/node';
import { createTestDatabase, PROVIDERS } from '@ich/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../src/audit/audit-log.js';
import { registerModelDir } from '../../../src/bootstrap/model-registry.js';
import { type PreparedDatabase, prepareDatabase } from '../../../src/db/index.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fresh(
  provider: (typeof PROVIDERS)[number],
): Promise<{ db: PreparedDatabase; audit: AuditLog; dir: string }> {
  const target = await createTestDatabase(provider, 'models');
  cleanups.push(target.drop);
  const db = await prepareDatabase(target.url);
  cleanups.push(() => db.close());
  const dir = await mkdtemp(join(tmpdir(), 'ich-models-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return { db, audit: new AuditLog(db.prisma, db.provider), dir };
}

async function actions(audit: AuditLog, db: PreparedDatabase): Promise<string[]> {
  await audit.flush();
  return (await db.prisma.auditEvent.findMany({ orderBy: { seq: 'asc' } })).map((e) => e.action);
}

describe('registerModelDir on an empty MODEL_DIR', () => {
  it('installs the shipped demo model, registers and activates it, and is a no-op on restart', async () => {
    const { db, audit, dir } = await fresh('sqlite');
    const modelDir = join(dir, 'current');
    const shipped = await readModelCard(shippedModelDir());
    const first = await registerModelDir(db.prisma, audit, modelDir);
    expect(first).toMatchObject({
      status: 'trained',
      name: shipped.name,
      version: shipped.version,
      registered: true,
      activated: true,
      createdWeights: true,
      source: 'shipped',
    });
    const row = await db.prisma.modelVersion.findUniqueOrThrow({ where: { id: first.id } });
    expect(row).toMatchObject({ active: true, directory: modelDir, weightsHash: shipped.weightsHash });
    expect(JSON.parse(row.card)).toMatchObject({
      status: 'trained',
      inputSize: shipped.inputSize,
      trainingData: shipped.trainingData,
      files: { onnx: 'model.onnx' },
    });

    const again = await registerModelDir(db.prisma, audit, modelDir);
    expect(again).toMatchObject({ id: first.id, registered: false, activated: false, createdWeights: false });
    expect(await db.prisma.modelVersion.count()).toBe(1);
    expect(await actions(audit, db)).toEqual(['model.register', 'model.activate']);
    expect((await audit.verify()).ok).toBe(true);
  });
});

// Small models, written once for both providers: building InceptionV3's weights takes seconds even at 75 px.
const models = { a: '', b: '', sameVersionOtherWeights: '' };
beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ich-model-dirs-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  models.a = join(dir, 'a');
  models.b = join(dir, 'b');
  models.sameVersionOtherWeights = join(dir, 'a-other-head');
  await initModel({ out: models.a, inputSize: 75, seed: 1, onnx: false });
  await initModel({ out: models.b, inputSize: 75, seed: 2, onnx: false });
  // Same seed, so the same version string as `a`, but a different head: different weights.
  await initModel({ out: models.sameVersionOtherWeights, inputSize: 75, seed: 1, denseUnits: 32, onnx: false });
});

describe.each(PROVIDERS)('registerModelDir on %s', (provider) => {
  it('keeps an admin-chosen active model across restarts', async () => {
    const { db, audit } = await fresh(provider);
    const a = await registerModelDir(db.prisma, audit, models.a);
    const b = await registerModelDir(db.prisma, audit, models.b);
    expect(a.activated).toBe(true);
    expect(b).toMatchObject({ registered: true, activated: false });
    // An admin switches to b; a restart with MODEL_DIR=a must not switch back.
    await db.prisma.modelVersion.updateMany({ data: { active: false } });
    await db.prisma.modelVersion.update({ where: { id: b.id }, data: { active: true } });
    await registerModelDir(db.prisma, audit, models.a);
    expect((await db.prisma.modelVersion.findMany({ where: { active: true } })).map((m) => m.id)).toEqual([b.id]);
  });

  it('refuses a name@version already registered with other weights', async () => {
    const { db, audit } = await fresh(provider);
    await registerModelDir(db.prisma, audit, models.a);
    await expect(registerModelDir(db.prisma, audit, models.sameVersionOtherWeights)).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/^MODEL_DIR: .* already registered with other weights/),
    });
    expect(await db.prisma.modelVersion.count()).toBe(1);
  });
});
