import type { StudyEvent, StudyEventKind } from './study-events.js';

const KINDS: ReadonlySet<string> = new Set<StudyEventKind>(['ARRIVED', 'STATUS', 'RESULT']);

/**
 * An event as another process sent it (NOTIFY payload or event-log row), checked field by field; null for our own
 * echo or anything malformed (a NOTIFY on the channel can come from any database user).
 */
export function parseWireEvent(payload: string | undefined, selfOrigin: string): StudyEvent | null {
  if (!payload) return null;
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (v['origin'] === selfOrigin) return null;
  const { kind, studyId, status, at } = v;
  if (typeof kind !== 'string' || !KINDS.has(kind)) return null;
  if (typeof studyId !== 'string' || studyId.length === 0 || studyId.length > 64) return null;
  if (typeof status !== 'string' || status.length > 32 || typeof at !== 'string') return null;
  return { kind: kind as StudyEventKind, studyId, status, at };
}
