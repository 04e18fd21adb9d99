import { AppError } from '@ich/errors';
import { ensureModelDir, type ModelCard } from '@ich/ml/node';
import type { PrismaClient } from '@ich/prisma';
import { type AuditLog, SYSTEM_ACTOR } from '../audit/audit-log.js';

export interface RegisteredModel {
  id: string;
  name: string;
  version: string;
  status: ModelCard['status'];
  /** A row was added for this model directory at this start-up. */
  registered: boolean;
  /** It became the active model at this start-up (there was none). */
  activated: boolean;
  /** The directory had no model and one was written: the shipped demo model, or UNTRAINED seeded weights without it. */
  createdWeights: boolean;
  /** Where the directory's model came from at this start-up. */
  source: 'existing' | 'shipped' | 'untrained';
}

/**
 * Start-up: the model in MODEL_DIR becomes a ModelVersion row admins can see and activate. A fresh installation has
 * no model, so the shipped demo model (trained on synthetic phantoms; its card says so and that it is not for
 * clinical use, everywhere it is shown) is installed there and activated, which lets the pipeline run end to end;
 * only when the repository's demo model is missing is an UNTRAINED seeded one written instead. A version is immutable: a card whose name@version is already registered with other
 * weights is refused, because predictions stamped with that version would no longer say which weights made them.
 */
export async function registerModelDir(
  prisma: PrismaClient,
  audit: AuditLog,
  modelDir: string,
  log: (line: string) => void = () => {},
): Promise<RegisteredModel> {
  const { dir, card, created, source } = await ensureModelDir(modelDir, { onProgress: log });
  const existing = await prisma.modelVersion.findUnique({
    where: { name_version: { name: card.name, version: card.version } },
  });
  if (existing && existing.weightsHash !== card.weightsHash) {
    throw new AppError(
      'CONFLICT',
      `MODEL_DIR: ${card.name}@${card.version} is already registered with other weights (${existing.weightsHash}); give the new model a new version`,
      { variable: 'MODEL_DIR', directory: dir },
    );
  }
  const row =
    existing ??
    (await prisma.modelVersion.create({
      data: {
        name: card.name,
        version: card.version,
        card: JSON.stringify(card),
        directory: dir,
        weightsHash: card.weightsHash,
      },
    }));
  if (!existing) {
    await audit.append(SYSTEM_ACTOR, {
      action: 'model.register',
      resourceType: 'ModelVersion',
      resourceId: row.id,
      details: {
        name: card.name,
        version: card.version,
        status: card.status,
        directory: dir,
        weightsHash: card.weightsHash,
      },
    });
  }
  // Only when nothing is active: an admin's choice of active model survives restarts.
  const activated = (await prisma.modelVersion.count({ where: { active: true } })) === 0;
  if (activated) {
    await prisma.modelVersion.update({ where: { id: row.id }, data: { active: true } });
    await audit.append(SYSTEM_ACTOR, {
      action: 'model.activate',
      resourceType: 'ModelVersion',
      resourceId: row.id,
      details: { name: card.name, version: card.version, previouslyActive: [], reason: 'no active model at start-up' },
    });
  }
  return {
    id: row.id,
    name: card.name,
    version: card.version,
    status: card.status,
    registered: !existing,
    activated,
    createdWeights: created,
    source,
  };
}
