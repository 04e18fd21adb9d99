import { describe, expect, it } from 'vitest';
import { csvCell, csvHeader, csvRow, type ExportedEvent, fhirAuditEvent, parseCsv } from './export-format.js';

const event: ExportedEvent = {
  seq: 7,
  id: '3b241101-e2bb-4255-8caf-4136c566a962',
  at: new Date('2026-03-04T05:06:07.089Z'),
  actorType: 'USER',
  actorId: 'u1',
  actorLabel: 'doc@example.org',
  action: 'study.read',
  outcome: 'SUCCESS',
  resourceType: 'Study',
  resourceId: 's1',
  patientId: 'p1',
  studyId: 's1',
  ipAddress: '10.1.2.3',
  userAgent: '=HYPERLINK("http://evil")',
  details: '{"note":"a, \\"quoted\\"\\nline"}',
  prevHash: 'a'.repeat(64),
  hash: 'b'.repeat(64),
};

describe('audit export formats', () => {
  it('quotes CSV per RFC 4180 and defuses spreadsheet formulas', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell(null)).toBe('');
    const row = csvRow(event);
    expect(row.endsWith('\r\n')).toBe(true);
    expect(row).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(csvHeader().trim().split(',')).toHaveLength(17);
  });

  it('maps an event to a FHIR R4 AuditEvent with its hash chain', () => {
    const fhir = fhirAuditEvent(event);
    expect(fhir).toMatchObject({
      resourceType: 'AuditEvent',
      id: event.id,
      action: 'R',
      recorded: '2026-03-04T05:06:07.089Z',
      outcome: '0',
      type: { code: '110103', display: 'DICOM Instances Accessed' },
      subtype: [{ code: 'study.read' }],
      agent: [
        {
          who: { identifier: { value: 'u1' }, display: 'doc@example.org' },
          requestor: true,
          network: { address: '10.1.2.3', type: '2' },
        },
      ],
    });
    expect(fhir['entity']).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ what: { reference: 'Patient/p1' } }),
        expect.objectContaining({ what: { reference: 'ImagingStudy/s1' } }),
      ]),
    );
    expect(fhir['extension']).toEqual(
      expect.arrayContaining([{ url: 'urn:ich-triage:audit-hash', valueString: event.hash }]),
    );
    expect(
      fhirAuditEvent({ ...event, action: 'auth.login', outcome: 'FAILURE', patientId: null, studyId: null }),
    ).toMatchObject({ type: { code: '110114' }, outcome: '4' });
  });

  it('reads back exactly what it wrote: null vs empty, quotes, newlines, formula apostrophes', () => {
    const values = ['plain', '', null, 'a,b', 'say "hi"', 'two\r\nlines', '=1+1', "'=1+1", "'quoted", '@x', '-5'];
    const line = `${values.map((v) => csvCell(v)).join(',')}\r\n`;
    expect(parseCsv(line + line)).toEqual([values, values]);
  });

  it('neutralises formulas that follow a separator, and keeps such cells whole', () => {
    expect(csvCell(';=HYPERLINK("x")')).toBe(`"';=HYPERLINK(""x"")"`);
    expect(csvCell('x,=1+1')).toBe(`"'x,=1+1"`);
    expect(csvCell('a;b')).toBe('"a;b"');
    expect(parseCsv(`${csvCell(';=1')},${csvCell('x,=1')}\r\n`)).toEqual([[';=1', 'x,=1']]);
  });

  it("codes FHIR agents by what they are, with the code systems' displays", () => {
    const agentOf = (actorType: string) =>
      (fhirAuditEvent({ ...event, actorType }) as { agent: Array<{ type: { coding: unknown[] } }> }).agent[0]!.type
        .coding[0];
    expect(agentOf('SYSTEM')).toEqual({
      system: 'http://dicom.nema.org/resources/ontology/DCM',
      code: '110150',
      display: 'Application',
    });
    expect(agentOf('USER')).toMatchObject({ code: 'humanuser', display: 'human user' });
    expect(agentOf('API_TOKEN')).toMatchObject({ code: 'datacollector', display: 'data collector' });
  });
});
