import type { DestinationRecord } from '../db/records.js';

/** One stored DICOM object to send: its SOP Instance UID and its Part 10 file (absolute path inside STORAGE_DIR). */
export interface OutgoingInstance {
  sopInstanceUid: string;
  file: string;
}

/** A destination as the senders use it: the stored row with its secret opened (never leaves the worker). */
export interface ResolvedDestination {
  id: string;
  name: string;
  kind: DestinationRecord['kind'];
  url: string | null;
  authType: DestinationRecord['authType'];
  username: string | null;
  secret: string | null;
  host: string | null;
  port: number | null;
  calledAet: string | null;
  callingAet: string | null;
}

/** What a connection test found: reachable and accepting (ok), or why not. */
export interface ConnectionCheck {
  ok: boolean;
  message: string;
  durationMs: number;
}

/** The product's own AE title when a DIMSE destination names none. */
export const DEFAULT_CALLING_AET = 'ICH_TRIAGE';
