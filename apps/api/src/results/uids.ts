import { createHash } from 'node:crypto';

/**
 * UIDs for the result objects, derived from the prediction id: `2.25.<decimal of a UUID>` (PS3.5 B.2), the UUID
 * being version 8 (RFC 9562, custom) over SHA-256 of the prediction id, the object kind and the UID's role. The
 * same prediction always gets the same UIDs, so generating again after a crash finds (or recreates) the same
 * objects instead of sending a PACS a second, different copy.
 */
export function resultUid(predictionId: string, kind: 'SR' | 'SC', role: 'series' | 'instance'): string {
  const hash = createHash('sha256').update(`ich-triage/result-object/${predictionId}/${kind}/${role}`).digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x80; // version 8
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80; // RFC 9562 variant
  return `2.25.${BigInt(`0x${bytes.toString('hex')}`).toString(10)}`;
}
