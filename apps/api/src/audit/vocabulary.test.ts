import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fhirAuditEvent } from './export-format.js';
import {
  AUDIT_ACTIONS,
  DCM_SYSTEM,
  DICOM_AUDIT_EVENTS,
  DICOM_AUDIT_SUBTYPES,
  dicomAuditCoding,
  isAuditAction,
} from './vocabulary.js';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const full = path.join(dir, d.name);
    if (d.isDirectory()) return d.name === 'generated' ? [] : sourceFiles(full);
    return /\.ts$/.test(d.name) && !/\.test\.ts$/.test(d.name) ? [full] : [];
  });
}

const code = (action: string, outcome = 'SUCCESS', details = '{}') =>
  dicomAuditCoding({ action, outcome, details }).type.code;

describe('audit vocabulary', () => {
  it('maps every action the product records (every dotted action literal in apps/api/src)', () => {
    const used = new Set<string>();
    for (const file of sourceFiles(SRC)) {
      if (file.endsWith(`${path.sep}vocabulary.ts`)) continue;
      for (const m of readFileSync(file, 'utf8').matchAll(
        /action: (?:[^'\n]*\? )?'([a-z_]+\.[a-z_.]+)'(?: : '([a-z_]+\.[a-z_.]+)')?/g,
      )) {
        used.add(m[1]!);
        if (m[2]) used.add(m[2]);
      }
    }
    expect(used.size).toBeGreaterThan(20);
    expect([...used].filter((a) => !isAuditAction(a))).toEqual([]);
    // And nothing in the table is dead: each action is recorded somewhere.
    const everything = sourceFiles(SRC)
      .filter((f) => !f.endsWith(`${path.sep}vocabulary.ts`))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    expect(Object.keys(AUDIT_ACTIONS).filter((a) => !everything.includes(`'${a}'`))).toEqual([]);
  });

  it('uses only DICOM audit event IDs 110100–110114 as types, and CID 401–403 codes as subtypes', () => {
    expect(Object.keys(DICOM_AUDIT_EVENTS)).toEqual(Array.from({ length: 15 }, (_, i) => String(110100 + i)));
    for (const [action, c] of Object.entries(AUDIT_ACTIONS)) {
      expect(Object.hasOwn(DICOM_AUDIT_EVENTS, c.event), action).toBe(true);
      if ('subtype' in c) expect(Object.hasOwn(DICOM_AUDIT_SUBTYPES, c.subtype), action).toBe(true);
      expect(['C', 'R', 'U', 'D', 'E']).toContain(c.action);
    }
  });

  it('codes reads, queries, imports, exports, sign-ins and security events as IHE BALP expects', () => {
    expect(code('study.read')).toBe('110103');
    expect(code('dicomweb.retrieve')).toBe('110103');
    expect(code('dicomweb.search')).toBe('110112');
    expect(code('study.list')).toBe('110112');
    expect(code('study.import')).toBe('110107');
    expect(code('audit.export')).toBe('110106');
    expect(code('audit.read')).toBe('110101');
    expect(code('auth.login')).toBe('110114');
    expect(code('auth.login', 'FAILURE', '{"reason":"wrong password"}')).toBe('110114');
    expect(code('auth.login', 'FAILURE', '{"reason":"too many failures for this account","lockout":true}')).toBe(
      '110113',
    );
    expect(code('audit.verify')).toBe('110101');
    expect(code('audit.verify', 'FAILURE', '{"reason":"checkpoint mismatch"}')).toBe('110113');
    expect(code('access.denied', 'FAILURE')).toBe('110113');
    expect(code('user.update')).toBe('110113');
    expect(code('no.such_action')).toBe('110100');
    expect(dicomAuditCoding({ action: 'auth.logout', outcome: 'SUCCESS', details: '{}' })).toEqual({
      type: { system: DCM_SYSTEM, code: '110114', display: 'User Authentication' },
      subtype: { system: DCM_SYSTEM, code: '110123', display: 'Logout' },
      action: 'E',
    });
  });

  it('drives the FHIR AuditEvent export: type, subtypes and action', () => {
    const event = {
      seq: 1,
      id: 'e1',
      at: new Date('2026-01-01T00:00:00.000Z'),
      actorType: 'USER',
      actorId: 'u1',
      actorLabel: 'a@example.org',
      action: 'user.update',
      outcome: 'SUCCESS',
      resourceType: 'User',
      resourceId: 'u2',
      patientId: null,
      studyId: null,
      ipAddress: null,
      userAgent: null,
      details: '{}',
      prevHash: '0'.repeat(64),
      hash: '1'.repeat(64),
    };
    expect(fhirAuditEvent(event)).toMatchObject({
      type: { system: DCM_SYSTEM, code: '110113', display: 'Security Alert' },
      subtype: [
        { system: DCM_SYSTEM, code: '110136', display: 'Security Roles Changed' },
        { system: 'urn:ich-triage:audit-action', code: 'user.update' },
      ],
      action: 'U',
    });
  });
});
