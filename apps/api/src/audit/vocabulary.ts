/**
 * The audit log's vocabulary: every action the product records, and the DICOM audit event it is (DICOM PS3.15
 * Annex A.5, PS3.16 CID 400–403), as IHE ATNA and BALP code FHIR AuditEvent.type / subtype / action. The table is
 * the one place an action is defined: AuditEntry.action only accepts its keys, and a test checks every action string
 * in the source is one of them. The stored rows keep the product's own action names (they are hashed); the codes are
 * derived when the log is exported, so changing a mapping never breaks the chain.
 */

export const DCM_SYSTEM = 'http://dicom.nema.org/resources/ontology/DCM';

/** CID 400 Audit Event ID: the event types (AuditEvent.type). */
export const DICOM_AUDIT_EVENTS = {
  '110100': 'Application Activity',
  '110101': 'Audit Log Used',
  '110102': 'Begin Transferring DICOM Instances',
  '110103': 'DICOM Instances Accessed',
  '110104': 'DICOM Instances Transferred',
  '110105': 'DICOM Study Deleted',
  '110106': 'Export',
  '110107': 'Import',
  '110108': 'Network Entry',
  '110109': 'Order Record',
  '110110': 'Patient Record',
  '110111': 'Procedure Record',
  '110112': 'Query',
  '110113': 'Security Alert',
  '110114': 'User Authentication',
} as const;

/** The event type codes used as subtypes (CID 401 Application Activity, 402 User Authentication, 403 Security Alert). */
export const DICOM_AUDIT_SUBTYPES = {
  '110120': 'Application Start',
  '110122': 'Login',
  '110123': 'Logout',
  '110131': 'Software Configuration',
  '110132': 'Use of Restricted Function',
  '110136': 'Security Roles Changed',
  '110137': 'User Security Attributes Changed',
} as const;

export type DicomAuditEventId = keyof typeof DICOM_AUDIT_EVENTS;
export type DicomAuditSubtype = keyof typeof DICOM_AUDIT_SUBTYPES;
/** FHIR AuditEvent.action (and DICOM EventActionCode): Create, Read, Update, Delete, Execute. */
export type AuditCrud = 'C' | 'R' | 'U' | 'D' | 'E';

export interface AuditEventCoding {
  event: DicomAuditEventId;
  subtype?: DicomAuditSubtype;
  action: AuditCrud;
}

/**
 * Every audit action and its DICOM event. Reads of patient data are 110103 (DICOM Instances Accessed) for studies and
 * 110110 (Patient Record) for patients; lists and searches (GraphQL lists, DICOMweb QIDO) are 110112 Query; imports
 * (browser upload and STOW-RS, both study.import) 110107; exports of the log 110106; sign-ins 110114; refused access, lockouts and changes to who may
 * do what are 110113 Security Alert with the CID 403 subtype that says which.
 */
export const AUDIT_ACTIONS = {
  'access.denied': { event: '110113', subtype: '110132', action: 'E' },
  'audit.export': { event: '110106', action: 'R' },
  'audit.read': { event: '110101', action: 'R' },
  'audit.verify': { event: '110101', action: 'E' },
  'auth.change_password': { event: '110113', subtype: '110137', action: 'U' },
  'auth.login': { event: '110114', subtype: '110122', action: 'E' },
  'auth.logout': { event: '110114', subtype: '110123', action: 'E' },
  // Where results go is the application's configuration (Software Configuration, as for model.activate).
  'destination.create': { event: '110113', subtype: '110131', action: 'C' },
  'destination.delete': { event: '110113', subtype: '110131', action: 'D' },
  'destination.test': { event: '110100', action: 'E' },
  'destination.update': { event: '110113', subtype: '110131', action: 'U' },
  // Result objects to a PACS: each instance the sender delivered (or gave up on) is DICOM Instances Transferred,
  // Read from the product's side as the sender (PS3.15 A.5.3.5); an admin's request to send is Begin Transferring.
  'dicom.send': { event: '110104', action: 'R' },
  'dicomweb.retrieve': { event: '110103', action: 'R' },
  'dicomweb.search': { event: '110112', action: 'E' },
  'model.activate': { event: '110113', subtype: '110131', action: 'U' },
  'model.alert.start': { event: '110100', action: 'E' },
  'model.alert.stop': { event: '110100', action: 'E' },
  'model.register': { event: '110100', subtype: '110120', action: 'C' },
  'patient.list': { event: '110112', action: 'E' },
  'patient.read': { event: '110110', action: 'R' },
  'review.create': { event: '110111', action: 'C' },
  // A background verification found the chain or its checkpoint broken (one event per distinct reason).
  'security.alert': { event: '110113', action: 'E' },
  'study.analyze': { event: '110103', action: 'R' },
  'study.import': { event: '110107', action: 'C' },
  'study.list': { event: '110112', action: 'E' },
  'study.read': { event: '110103', action: 'R' },
  'study.reprocess': { event: '110111', action: 'U' },
  'study.send_results': { event: '110102', action: 'E' },
  'token.create': { event: '110113', subtype: '110137', action: 'C' },
  'token.list': { event: '110100', action: 'R' },
  'token.revoke': { event: '110113', subtype: '110137', action: 'D' },
  'user.create': { event: '110113', subtype: '110137', action: 'C' },
  'user.list': { event: '110100', action: 'R' },
  'user.reset_password': { event: '110113', subtype: '110137', action: 'U' },
  'user.revoke_credentials': { event: '110113', subtype: '110137', action: 'U' },
  'user.update': { event: '110113', subtype: '110136', action: 'U' },
} as const satisfies Record<string, AuditEventCoding>;

export type AuditAction = keyof typeof AUDIT_ACTIONS;

export function isAuditAction(action: string): action is AuditAction {
  return Object.hasOwn(AUDIT_ACTIONS, action);
}

export interface Coding {
  system: string;
  code: string;
  display: string;
}

export interface DicomAuditCoding {
  type: Coding;
  subtype: Coding | null;
  action: AuditCrud;
}

const eventCoding = (code: DicomAuditEventId): Coding => ({
  system: DCM_SYSTEM,
  code,
  display: DICOM_AUDIT_EVENTS[code],
});
const subtypeCoding = (code: DicomAuditSubtype): Coding => ({
  system: DCM_SYSTEM,
  code,
  display: DICOM_AUDIT_SUBTYPES[code],
});

/**
 * The DICOM coding of one stored event. Two outcomes turn an ordinary event into a security alert: a sign-in refused
 * because the account or address is locked out (details.lockout), and a failed verification of the audit log itself
 * (a broken chain or a checkpoint mismatch). An action the table does not know (a row written by a newer version) is
 * Application Activity, so an export never fails on old or new logs.
 */
export function dicomAuditCoding(event: { action: string; outcome: string; details: string }): DicomAuditCoding {
  const failed = event.outcome === 'FAILURE';
  if (failed && ((event.action === 'auth.login' && lockedOut(event.details)) || event.action === 'audit.verify')) {
    // CID 403 has no subtype for either; the product's own action (exported beside the type) says which.
    return { type: eventCoding('110113'), subtype: null, action: 'E' };
  }
  if (!isAuditAction(event.action)) return { type: eventCoding('110100'), subtype: null, action: 'E' };
  const coding: AuditEventCoding = AUDIT_ACTIONS[event.action];
  return {
    type: eventCoding(coding.event),
    subtype: coding.subtype ? subtypeCoding(coding.subtype) : null,
    action: coding.action,
  };
}

function lockedOut(details: string): boolean {
  try {
    return (JSON.parse(details) as { lockout?: unknown }).lockout === true;
  } catch {
    return false;
  }
}
