import { AppError } from '@ich/errors';
import { actorOf } from '../audit/audit-log.js';
import type { Caller } from '../auth/caller.js';
import { authorize } from '../auth/principal.js';
import type { ModelVersionRecord } from '../db/records.js';
import type { ServiceDeps } from './deps.js';
import { checkId } from './ids.js';

export class ModelService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly caller: Caller,
  ) {}

  async list(): Promise<ModelVersionRecord[]> {
    authorize(this.caller.principal, { scope: 'read:studies' });
    return this.deps.prisma.modelVersion.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'asc' }] });
  }

  async active(): Promise<ModelVersionRecord | null> {
    authorize(this.caller.principal, { scope: 'read:studies' });
    return this.deps.prisma.modelVersion.findFirst({ where: { active: true }, orderBy: { createdAt: 'desc' } });
  }

  /** Exactly one version is active afterwards; workers pick it up for the next job. */
  async activate(id: string): Promise<ModelVersionRecord> {
    authorize(this.caller.principal, { scope: 'admin', admin: true });
    checkId(id);
    const { prisma, audit } = this.deps;
    const target = await prisma.modelVersion.findUnique({ where: { id } });
    if (!target) throw new AppError('NOT_FOUND', 'No such model version.', { id });
    const previous = await prisma.modelVersion.findMany({ where: { active: true }, select: { id: true } });
    return audit.change(async (tx, record) => {
      await tx.modelVersion.updateMany({ where: { active: true, id: { not: id } }, data: { active: false } });
      const activated = await tx.modelVersion.update({ where: { id }, data: { active: true } });
      record(actorOf(this.caller), {
        action: 'model.activate',
        resourceType: 'ModelVersion',
        resourceId: id,
        details: { name: target.name, version: target.version, previouslyActive: previous.map((p) => p.id) },
      });
      return activated;
    });
  }
}
