import { Prisma } from '@ich/prisma';
import { z } from 'zod';
import { actorOf } from '../audit/audit-log.js';
import type { Caller } from '../auth/caller.js';
import { authorize } from '../auth/principal.js';
import type { Loaders } from '../db/loaders.js';
import type { PatientRecord, StudyRecord } from '../db/records.js';
import { type Connection, toConnection } from './connection.js';
import { decodeCursor, encodeCursor, pageSize } from './cursor.js';
import type { ServiceDeps } from './deps.js';
import { checkId, checkText } from './ids.js';
import { containsText, literalMatches, needsLiteralMatch } from './text-filter.js';

export interface PatientListArgs {
  first?: number | null;
  after?: string | null;
  search?: string | null;
}

const nameCursor = z.strictObject({ o: z.literal('N'), n: z.string().max(1024), i: z.string().min(1).max(64) });

export class PatientService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly caller: Caller,
    private readonly loaders: Loaders,
  ) {}

  /** Patients by name. Every page served is audited with the patient ids it exposed. */
  async list(args: PatientListArgs): Promise<Connection<PatientRecord>> {
    authorize(this.caller.principal, { scope: 'read:studies' });
    const take = pageSize(args.first, 25, 100);
    const search = checkText(args.search?.trim(), 'search', 200);
    const where: Prisma.PatientWhereInput = !search
      ? {}
      : needsLiteralMatch(this.deps.provider, search)
        ? {
            id: {
              in: await literalMatches(
                this.deps.prisma,
                Prisma.sql`"Patient"`,
                Prisma.sql`"id"`,
                [Prisma.sql`"name"`, Prisma.sql`"patientId"`],
                search,
              ),
            },
          }
        : {
            OR: [
              { name: containsText(this.deps.provider, search) },
              { patientId: containsText(this.deps.provider, search) },
            ],
          };
    let position: Prisma.PatientWhereInput | null = null;
    if (args.after) {
      const c = decodeCursor(args.after, nameCursor);
      position = { OR: [{ name: { gt: c.n } }, { name: c.n, id: { gt: c.i } }] };
    }
    const { prisma, audit } = this.deps;
    const rows = await prisma.patient.findMany({
      where: position ? { AND: [where, position] } : where,
      orderBy: [{ name: 'asc' }, { id: 'asc' }],
      take: take + 1,
    });
    const connection = toConnection(
      rows,
      take,
      position !== null,
      (p) => encodeCursor({ o: 'N', n: p.name, i: p.id }),
      () => prisma.patient.count({ where }),
    );
    await audit.append(actorOf(this.caller), {
      action: 'patient.list',
      resourceType: 'Patient',
      details: { patientIds: connection.edges.map((e) => e.node.id), search: search ?? null },
    });
    return connection;
  }

  async get(id: string): Promise<PatientRecord | null> {
    authorize(this.caller.principal, { scope: 'read:studies' });
    checkId(id);
    const patient = await this.deps.prisma.patient.findUnique({ where: { id } });
    await this.deps.audit.append(actorOf(this.caller), {
      action: 'patient.read',
      outcome: patient ? 'SUCCESS' : 'FAILURE',
      resourceType: 'Patient',
      resourceId: id,
      patientId: patient?.id ?? null,
    });
    return patient;
  }

  async studiesOf(patient: PatientRecord): Promise<StudyRecord[]> {
    authorize(this.caller.principal, { scope: 'read:studies' });
    return this.loaders.studiesByPatientId.load(patient.id);
  }
}
