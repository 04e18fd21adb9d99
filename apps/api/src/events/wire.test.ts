import { describe, expect, it } from 'vitest';
import { parseWireEvent } from './wire.js';

const event = { kind: 'RESULT', studyId: 'c1', status: 'DONE', at: '2026-01-01T00:00:00.000Z' };

describe('parseWireEvent', () => {
  it('accepts another process event and drops the origin', () => {
    expect(parseWireEvent(JSON.stringify({ ...event, origin: 'other' }), 'self')).toEqual(event);
  });

  it('skips our own echo', () => {
    expect(parseWireEvent(JSON.stringify({ ...event, origin: 'self' }), 'self')).toBeNull();
  });

  it.each([
    ['not JSON', 'nope'],
    ['a JSON scalar', '42'],
    ['an unknown kind', JSON.stringify({ ...event, kind: 'DELETED' })],
    ['a missing study id', JSON.stringify({ ...event, studyId: '' })],
    ['an oversized study id', JSON.stringify({ ...event, studyId: 'x'.repeat(65) })],
    ['a non-string status', JSON.stringify({ ...event, status: 3 })],
  ])('refuses %s (anyone with database access can NOTIFY the channel)', (_what, payload) => {
    expect(parseWireEvent(payload, 'self')).toBeNull();
  });
});
