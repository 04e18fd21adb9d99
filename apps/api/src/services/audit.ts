import { z } from 'zod';
import { type AuditFilter, actorOf, type CompletedVerification } from '../audit/audit-log.js';
import type { AuditCheckpoint } from '../audit/checkpoint.js';
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

/** The last completed verification, and whether a newer one is running (the GraphQL `AuditVerification`). */
export interface VerificationView extends CompletedVerification {
  running: boolean;
}

/**
 * A request starts a new verification only when the cached one is at least this old: a flood of requests costs at
 * most one background walk every 10 s.
 */
const VERIFY_MIN_AGE_MS = 10_000;

// AuditEvent.seq is a 32-bit integer column on both databases.
const seqCursor = z.strictObject({ o: z.literal('S'), s: z.number().int().positive().max(2_147_483_647) });

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
    // Reading the audit log is itself an access worth recording (who looked at whose trail).
    await this.deps.audit.append(actorOf(this.caller), {
      action: 'audit.read',
      details: { filter: { ...filter }, first: take, after: before },
    });
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

  /**
   * Records a refused GraphQL field (UNAUTHENTICATED or FORBIDDEN): probing for what one may not do is part of the
   * trail. Failed sign-ins are recorded by login itself.
   */
  async recordDenied(code: string, path: string, message: string): Promise<void> {
    await this.deps.audit.append(actorOf(this.caller), {
      action: 'access.denied',
      outcome: 'FAILURE',
      details: { code, path, message: message.slice(0, 200) },
    });
  }

  /**
   * The last completed verification of the chain, from the background job (AUDIT_VERIFY_MINUTES), and a new one
   * started behind it; the request itself does not walk the chain. Only before the first verification has finished
   * (just after start-up) does it wait for the running one.
   */
  async verify(): Promise<VerificationView> {
    this.authorizeRead();
    const { audit } = this.deps;
    audit.requestVerification(VERIFY_MIN_AGE_MS);
    const status = audit.verificationStatus();
    const last = status.last ?? (await audit.verify());
    const running = status.last ? status.running : false;
    await audit.append(actorOf(this.caller), {
      action: 'audit.verify',
      outcome: last.ok ? 'SUCCESS' : 'FAILURE',
      details: { ...last, running },
    });
    return { ...last, running };
  }

  /**
   * Authorizes and records the export before any row leaves, signs a checkpoint of the head (which the export event
   * is part of), then yields the matching events oldest first up to that head. The export carries the checkpoint, so
   * an unfiltered export can be verified offline with the key alone (`ich-audit verify`).
   */
  async export(
    format: ExportFormat,
    filter: AuditFilter,
  ): Promise<{ rows: AsyncGenerator<ChainRow>; checkpoint: AuditCheckpoint | null }> {
    this.authorizeRead();
    const checked = checkFilter(filter);
    await this.deps.audit.append(actorOf(this.caller), {
      action: 'audit.export',
      details: { format, filter: { ...checked } },
    });
    const checkpoint = await this.deps.audit.checkpoint();
    return { rows: this.deps.audit.scan(checked, 1000, checkpoint?.seq ?? null), checkpoint };
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
