import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { AppError } from '@ich/errors';
import type { ConnectionCheck, OutgoingInstance, ResolvedDestination } from './transport.js';

const REFERENCED_SOP_SEQUENCE = '00081199';
const FAILED_SOP_SEQUENCE = '00081198';
const REFERENCED_SOP_INSTANCE_UID = '00081155';
const FAILURE_REASON = '00081197';

type DicomJson = Record<string, { Value?: unknown[] } | undefined>;

function authorization(destination: ResolvedDestination): Record<string, string> {
  if (destination.authType === 'BASIC') {
    const pair = `${destination.username ?? ''}:${destination.secret ?? ''}`;
    return { authorization: `Basic ${Buffer.from(pair).toString('base64')}` };
  }
  if (destination.authType === 'BEARER') return { authorization: `Bearer ${destination.secret ?? ''}` };
  return {};
}

/** `<url>/studies`, the STOW-RS resource for storing instances of any study. */
function stowUrl(destination: ResolvedDestination): string {
  if (!destination.url) throw new AppError('BAD_CONFIG', `Destination ${destination.name} has no DICOMweb URL.`);
  return `${destination.url.replace(/\/+$/, '')}/studies`;
}

/** The UIDs a STOW-RS response lists under a sequence (ReferencedSOPSequence or FailedSOPSequence). */
function listed(body: DicomJson, sequence: string): Map<string, string> {
  const items = (body[sequence]?.Value ?? []) as DicomJson[];
  return new Map(
    items.map((item) => [
      String(item[REFERENCED_SOP_INSTANCE_UID]?.Value?.[0] ?? ''),
      String(item[FAILURE_REASON]?.Value?.[0] ?? ''),
    ]),
  );
}

function networkError(destination: ResolvedDestination, error: unknown): AppError {
  const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
  const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
  return new AppError(
    'DESTINATION_UNREACHABLE',
    timedOut ? `${destination.name}: no answer in time` : `${destination.name}: ${cause}`,
  );
}

/**
 * Stores instances with one STOW-RS request (PS3.18 §10.5): a multipart/related body of application/dicom parts.
 * Success means the answer lists every instance in its ReferencedSOPSequence (a 200 without a body, which some
 * servers send, counts too); a FailedSOPSequence entry, a 4xx/5xx or a 202 that leaves one out is a rejection.
 */
export async function stowInstances(
  destination: ResolvedDestination,
  instances: readonly OutgoingInstance[],
  timeoutMs: number,
): Promise<void> {
  const boundary = `ich-${randomBytes(12).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const instance of instances) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`));
    parts.push(await readFile(instance.file));
    parts.push(Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  let response: Response;
  try {
    response = await fetch(stowUrl(destination), {
      method: 'POST',
      headers: {
        'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`,
        accept: 'application/dicom+json',
        ...authorization(destination),
      },
      body: Buffer.concat(parts),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw networkError(destination, error);
  }
  const text = await response.text().catch(() => '');
  if (response.status === 401 || response.status === 403)
    throw new AppError('DESTINATION_REJECTED', `${destination.name}: HTTP ${response.status} (check the credentials)`);
  if (response.status >= 500)
    throw new AppError('DESTINATION_UNREACHABLE', `${destination.name}: HTTP ${response.status} ${text.slice(0, 200)}`);
  if (response.status >= 300 && response.status !== 409)
    throw new AppError('DESTINATION_REJECTED', `${destination.name}: HTTP ${response.status} ${text.slice(0, 200)}`);
  let body: DicomJson = {};
  try {
    body = text.trim() === '' ? {} : (JSON.parse(text) as DicomJson);
  } catch {
    if (response.status !== 200)
      throw new AppError('DESTINATION_REJECTED', `${destination.name}: HTTP ${response.status}, unreadable answer`);
  }
  const failed = listed(body, FAILED_SOP_SEQUENCE);
  const stored = listed(body, REFERENCED_SOP_SEQUENCE);
  const refused = instances.filter(
    (i) => failed.has(i.sopInstanceUid) || (response.status !== 200 && !stored.has(i.sopInstanceUid)),
  );
  if (refused.length > 0) {
    const reasons = refused.map(
      (i) => `${i.sopInstanceUid}${failed.get(i.sopInstanceUid) ? ` (reason ${failed.get(i.sopInstanceUid)})` : ''}`,
    );
    throw new AppError('DESTINATION_REJECTED', `${destination.name} did not store ${reasons.join(', ')}`);
  }
}

/**
 * A connection test: a QIDO-RS study search for nothing in particular (limit 1). It proves the URL, the TLS and
 * the credentials without storing anything; a server that offers STOW-RS only may answer 404/405 here, which is
 * reported as reachable.
 */
export async function checkDicomweb(destination: ResolvedDestination, timeoutMs: number): Promise<ConnectionCheck> {
  const started = performance.now();
  const done = (ok: boolean, message: string) => ({ ok, message, durationMs: Math.round(performance.now() - started) });
  try {
    const response = await fetch(`${stowUrl(destination)}?limit=1`, {
      headers: { accept: 'application/dicom+json', ...authorization(destination) },
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer().catch(() => undefined);
    if (response.status === 401 || response.status === 403)
      return done(false, `HTTP ${response.status}: the credentials were refused`);
    if (response.status >= 500) return done(false, `HTTP ${response.status}`);
    if (response.status === 404 || response.status === 405)
      return done(true, `reachable (HTTP ${response.status} to a search; STOW-RS not tried)`);
    if (response.status >= 400) return done(false, `HTTP ${response.status}`);
    return done(true, `reachable, HTTP ${response.status}`);
  } catch (error) {
    return done(false, networkError(destination, error).message);
  }
}
