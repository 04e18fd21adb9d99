import { AppError } from '@ich/errors';
import { type Request, Router } from 'express';
import type { AuditFilter } from '../audit/audit-log.js';
import { csvCheckpointRow, csvHeader, csvRow, fhirAuditEvent, fhirCheckpointMeta } from '../audit/export-format.js';
import type { Caller } from '../auth/caller.js';
import { log } from '../log/logger.js';
import type { Services } from '../services/index.js';

export interface AuditExportDeps {
  servicesFor(req: Request): Promise<{ caller: Caller; services: Services }>;
}

function instant(value: unknown, name: string): Date | null {
  if (value === undefined) return null;
  const date = typeof value === 'string' ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime()))
    throw new AppError('BAD_USER_INPUT', `${name}: expected an ISO 8601 instant`, { parameter: name });
  return date;
}

function text(value: unknown, name: string): string | null {
  if (value === undefined) return null;
  if (typeof value !== 'string')
    throw new AppError('BAD_USER_INPUT', `${name}: must be a single value`, { parameter: name });
  return value;
}

/**
 * `GET /api/audit/export?format=csv|fhir[&from=&to=&action=&actorId=&studyId=&patientId=]`, streamed oldest first so
 * a long log never sits in memory. CSV keeps every column (hash chain included) so an export can be re-verified, and
 * ends with the signed checkpoint of the head it was cut at (`#checkpoint` row); FHIR is a Bundle (type collection)
 * of R4 AuditEvent resources with the checkpoint in Bundle.meta.
 */
export function auditExportRouter(deps: AuditExportDeps): Router {
  const router = Router();
  router.get('/api/audit/export', async (req, res, next) => {
    try {
      const format = req.query['format'] ?? 'csv';
      if (format !== 'csv' && format !== 'fhir')
        throw new AppError('BAD_USER_INPUT', 'format: must be csv or fhir', { parameter: 'format' });
      const filter: AuditFilter = {
        from: instant(req.query['from'], 'from'),
        to: instant(req.query['to'], 'to'),
        action: text(req.query['action'], 'action'),
        actorId: text(req.query['actorId'], 'actorId'),
        studyId: text(req.query['studyId'], 'studyId'),
        patientId: text(req.query['patientId'], 'patientId'),
      };
      const { caller, services } = await deps.servicesFor(req);
      // A cookie alone does not authorize a download: SameSite=Lax lets another site send it with a top-level GET
      // (a link), and a cross-site link cannot add a header. The web app fetches with the header and saves the blob;
      // clients authenticate with a Bearer token, which no other site can attach.
      if (
        caller.principal.kind === 'session' &&
        !req.headers.authorization &&
        req.headers['apollo-require-preflight'] === undefined
      )
        throw new AppError(
          'FORBIDDEN',
          'Send an Authorization header, or the apollo-require-preflight header with the session cookie.',
        );
      const { rows, checkpoint } = await services.audit.export(format, filter);
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader(
        'Content-Disposition',
        `attachment; filename="audit-${stamp}.${format === 'csv' ? 'csv' : 'json'}"`,
      );
      if (format === 'csv') {
        res.type('text/csv; charset=utf-8');
        res.write(csvHeader());
        for await (const row of rows) res.write(csvRow(row));
        if (checkpoint) res.write(csvCheckpointRow(checkpoint));
      } else {
        res.type('application/fhir+json; charset=utf-8');
        res.write(
          `{"resourceType":"Bundle","type":"collection","timestamp":${JSON.stringify(new Date().toISOString())},${checkpoint ? `"meta":${JSON.stringify(fhirCheckpointMeta(checkpoint))},` : ''}"entry":[`,
        );
        let first = true;
        for await (const row of rows) {
          res.write(
            `${first ? '' : ','}${JSON.stringify({ fullUrl: `urn:uuid:${row.id}`, resource: fhirAuditEvent(row) })}`,
          );
          first = false;
        }
        res.write(']}');
      }
      res.end();
    } catch (error) {
      // Once rows are streaming, the status is sent: cut the response short so the client sees it is incomplete.
      if (res.headersSent) {
        log.error('audit export failed mid-stream', error);
        res.destroy();
        return;
      }
      next(error);
    }
  });
  return router;
}
