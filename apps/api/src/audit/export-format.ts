import type { AuditCheckpoint } from './checkpoint.js';
import { type ChainRow, HASHED_FIELDS } from './hash-chain.js';
import { type Coding, DCM_SYSTEM, dicomAuditCoding } from './vocabulary.js';

/** An audit event as exported: the stored row, hash chain included, so an export can be re-verified offline. */
export type ExportedEvent = ChainRow;

/** The columns of a CSV export: the sequence number, every hashed field, and the event's own hash. */
export const CSV_COLUMNS = ['seq', ...HASHED_FIELDS, 'hash'] as const satisfies ReadonlyArray<keyof ExportedEvent>;

/**
 * RFC 4180 quoting. Cells a spreadsheet would run as a formula get a leading apostrophe: audit logs are opened in
 * spreadsheets, and user agents or names are attacker-controlled. That covers a formula at the start (= + - @ or a
 * control character) and one right after a separator (`x,=…`, `;=…`), which a reader splitting on `;` or `,` would
 * start a cell with; such cells are also always quoted, so a `;`-separated reader keeps them whole. The encoding
 * stays reversible, so an export can be re-hashed offline: a cell that already begins with an apostrophe gets one
 * too (the reader drops exactly one), and an empty string is `""` while null is an empty cell.
 */
export function csvCell(value: string | number | Date | null): string {
  if (value === null) return '';
  let text = value instanceof Date ? value.toISOString() : String(value);
  if (text === '') return '""';
  if (FORMULA_START.test(text) || FORMULA_AFTER_SEPARATOR.test(text)) text = `'${text}`;
  return /[",;\t\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const FORMULA_START = /^[=+\-@\t\r']/;
const FORMULA_AFTER_SEPARATOR = /[,;\t\r\n]\s*[=+\-@]/;

/** The last row of a CSV export: the signed checkpoint of the head the export was cut at. */
export function csvCheckpointRow(checkpoint: AuditCheckpoint): string {
  return `${CHECKPOINT_MARK},${csvCell(JSON.stringify(checkpoint))}\r\n`;
}

export const CHECKPOINT_MARK = '#checkpoint';
export const FHIR_CHECKPOINT_URL = 'urn:ich-triage:audit-checkpoint';

/** Bundle.meta of a FHIR export: the signed checkpoint as an extension. */
export function fhirCheckpointMeta(checkpoint: AuditCheckpoint): Record<string, unknown> {
  return { extension: [{ url: FHIR_CHECKPOINT_URL, valueString: JSON.stringify(checkpoint) }] };
}

/**
 * Reads a CSV export back: RFC 4180 records, where an unquoted empty cell is null and a quoted one is the empty
 * string, and the formula apostrophe csvCell added is dropped again.
 */
export function parseCsv(text: string): Array<Array<string | null>> {
  const records: Array<Array<string | null>> = [];
  let record: Array<string | null> = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    let cell: string | null;
    if (text[i] === '"') {
      let value = '';
      i += 1;
      for (;;) {
        if (i >= n) throw new Error('unterminated quoted cell');
        const ch = text[i];
        if (ch === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        value += ch;
        i += 1;
      }
      cell = value;
    } else {
      let end = i;
      while (end < n && text[end] !== ',' && text[end] !== '\r' && text[end] !== '\n') end += 1;
      cell = end === i ? null : text.slice(i, end);
      i = end;
    }
    if (cell?.startsWith("'")) cell = cell.slice(1);
    record.push(cell);
    if (text[i] === ',') {
      i += 1;
      continue;
    }
    if (text[i] === '\r') i += 1;
    if (text[i] === '\n') i += 1;
    records.push(record);
    record = [];
  }
  return records;
}

export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\r\n`;
}

export function csvRow(event: ExportedEvent): string {
  return `${CSV_COLUMNS.map((c) => csvCell(event[c])).join(',')}\r\n`;
}

/** The product's own action names, carried as a second AuditEvent.subtype beside the DICOM event codes. */
const ACTION_SYSTEM = 'urn:ich-triage:audit-action';

const ROLE_TYPES = 'http://terminology.hl7.org/CodeSystem/extra-security-role-type';

/**
 * AuditEvent.agent.type: people (signed in, or not yet) are human users; an API token is an application collecting
 * data for its owner; the SYSTEM actor (start-up, the worker) is an application (DICOM 110150), not a person.
 * Displays are the code systems' own.
 */
function agentType(actorType: string): Coding {
  if (actorType === 'SYSTEM') return { system: DCM_SYSTEM, code: '110150', display: 'Application' };
  if (actorType === 'API_TOKEN') return { system: ROLE_TYPES, code: 'datacollector', display: 'data collector' };
  return { system: ROLE_TYPES, code: 'humanuser', display: 'human user' };
}

/** One FHIR R4 AuditEvent resource per stored event; the hash chain travels as an extension. */
export function fhirAuditEvent(event: ExportedEvent): Record<string, unknown> {
  const agent: Record<string, unknown> = {
    type: { coding: [agentType(event.actorType)], text: event.actorType },
    who: event.actorId
      ? { identifier: { system: 'urn:ich-triage:user', value: event.actorId }, display: event.actorLabel }
      : { display: event.actorLabel || event.actorType },
    requestor: true,
  };
  if (event.ipAddress) agent['network'] = { address: event.ipAddress, type: '2' };
  const entity: Array<Record<string, unknown>> = [];
  if (event.patientId)
    entity.push({
      what: { reference: `Patient/${event.patientId}` },
      type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '1', display: 'Person' },
    });
  if (event.studyId)
    entity.push({
      what: { reference: `ImagingStudy/${event.studyId}` },
      type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '2', display: 'System Object' },
    });
  if (
    event.resourceType &&
    event.resourceId &&
    event.resourceId !== event.studyId &&
    event.resourceId !== event.patientId
  ) {
    entity.push({
      what: { identifier: { system: `urn:ich-triage:${event.resourceType}`, value: event.resourceId } },
      detail: [{ type: 'details', valueString: event.details }],
    });
  } else if (event.details !== '{}') {
    entity.push({ what: { display: 'details' }, detail: [{ type: 'details', valueString: event.details }] });
  }
  const coding = dicomAuditCoding(event);
  return {
    resourceType: 'AuditEvent',
    id: event.id,
    extension: [
      { url: 'urn:ich-triage:audit-seq', valueInteger: event.seq },
      { url: 'urn:ich-triage:audit-prev-hash', valueString: event.prevHash },
      { url: 'urn:ich-triage:audit-hash', valueString: event.hash },
    ],
    // IHE BALP: type is the DICOM audit event ID, subtype refines it (a DICOM subtype where one applies, then the
    // product's action), action is the CRUDE verb.
    type: coding.type,
    subtype: [
      ...(coding.subtype ? [coding.subtype] : []),
      { system: ACTION_SYSTEM, code: event.action, display: event.action },
    ],
    action: coding.action,
    recorded: event.at.toISOString(),
    outcome: event.outcome === 'SUCCESS' ? '0' : '4',
    agent: [agent],
    source: {
      observer: { display: 'ICH triage API' },
      type: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/security-source-type',
          code: '4',
          display: 'Application Server',
        },
      ],
    },
    ...(entity.length > 0 ? { entity } : {}),
  };
}
