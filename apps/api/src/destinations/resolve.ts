import { openSecret } from '../auth/secret-box.js';
import type { DestinationRecord } from '../db/records.js';
import { checkDicomweb, stowInstances } from './dicomweb-send.js';
import { checkDimse, cStoreInstances } from './dimse-send.js';
import type { ConnectionCheck, OutgoingInstance, ResolvedDestination } from './transport.js';

/** The sealed secret is bound to its destination's id (see secret-box). */
export function secretContext(destinationId: string): string {
  return `destination:${destinationId}`;
}

/** The row with its secret opened, for sending; only the worker and the connection test hold this. */
export function resolveDestination(row: DestinationRecord, key: Buffer): ResolvedDestination {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    url: row.url,
    authType: row.authType,
    username: row.username,
    secret: row.secretCipher ? openSecret(key, row.secretCipher, secretContext(row.id)) : null,
    host: row.host,
    port: row.port,
    calledAet: row.calledAet,
    callingAet: row.callingAet,
  };
}

/** Sends instances over the destination's protocol; throws DESTINATION_UNREACHABLE / DESTINATION_REJECTED. */
export function sendInstances(
  destination: ResolvedDestination,
  instances: readonly OutgoingInstance[],
  timeoutMs: number,
): Promise<void> {
  return destination.kind === 'DICOMWEB'
    ? stowInstances(destination, instances, timeoutMs)
    : cStoreInstances(destination, instances, timeoutMs);
}

export function checkConnection(destination: ResolvedDestination, timeoutMs: number): Promise<ConnectionCheck> {
  return destination.kind === 'DICOMWEB' ? checkDicomweb(destination, timeoutMs) : checkDimse(destination, timeoutMs);
}
