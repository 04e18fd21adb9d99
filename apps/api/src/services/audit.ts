import { z } from 'zod';
import { type AuditFilter, actorOf, type ChainVerification } from '../audit/audit-log.js';
import type { ChainRow } from '../audit/hash-chain.js';
import type { Caller } from '../auth/caller.js';
import { authorize } from '../auth/principal.js';
import { type Connection, toConnection } from './connection.js';
import { decodeCursor, encodeCursor, pageSize } from './cursor.js';
import type { ServiceDeps } from './deps.js';
import { checkText } from './ids.js';

export interface AuditEventsArgs {
  filter?: AuditFilter | null;
  first?: number | null;
  after?: string | null;
}

export type ExportFormat = 'csv' | 'fhir';

const seqCursor = z.strictObject({ o: z.literal('S'), s: z.number().int().positive() });

/** Reading, verifying and exporting the audit log: ADMINs only, and tokens need `read:audit`. */
export class AuditService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly caller: Caller,
  ) {}

  private authorizeRead() {
    return authorize(this.caller.principal, { scope: 'read:audit', admin: true });
  }

  async events(args: AuditEventsArgs): Promise<Connection<ChainRow>> {
    this.authorizeRead();
    const take = pageSize(args.first, 50, 500);
    const filter = checkFilter(args.filter ?? {});
    const before = args.after ? decodeCursor(args.after, seqCursor).s : null;
    await this.deps.audit.flush();
    const rows = await this.deps.audit.page(filter, take + 1, before);
    return toConnection(
      rows,
      take,
      before !== null,
      (r) => encodeCursor({ o: 'S', s: r.seq }),
      () => this.deps.audit.count(filter),
    );
  }

  async verify(): Promise<ChainVerification> {
    this.authorizeRead();
    const result = await this.deps.audit.verify();
    await this.deps.audit.append(actorOf(this.caller), {
      action: 'audit.verify',
      outcome: result.ok ? 'SUCCESS' : 'FAILURE',
      details: { ...result },
    });
    return result;
  }

  /**
   * Authorizes and records the export before any row leaves, then yields the matching events oldest first. The
   * export event itself is part of the exported chain.
   */
  async export(format: ExportFormat, filter: AuditFilter): Promise<AsyncGenerator<ChainRow>> {
    this.authorizeRead();
    const checked = checkFilter(filter);
    await this.deps.audit.append(actorOf(this.caller), {
      action: 'audit.export',
      details: { format, filter: { ...checked } },
    });
    return this.deps.audit.scan(checked);
  }
}

function checkFilter(filter: AuditFilter): AuditFilter {
  return {
    action: checkText(filter.action, 'filter.action', 100) ?? null,
    actorId: checkText(filter.actorId, 'filter.actorId', 64) ?? null,
    studyId: checkText(filter.studyId, 'filter.studyId', 64) ?? null,
    patientId: checkText(filter.patientId, 'filter.patientId', 64) ?? null,
    outcome: filter.outcome ?? null,
    from: filter.from ?? null,
    to: filter.to ?? null,
  };
}
