import { ok, type Result } from '@ich/errors';
import { type DicomAttributes, parseDicom } from '@ich/ml/browser';
import type { ContentStore, TempFile } from '../storage/content-store.js';

/** One received file taken in while its bytes are in memory: parsed, written durably, and committed if it parsed. */
export interface Intake {
  temp: TempFile;
  parsed: Result<DicomAttributes>;
  /** The storage key it was committed under; absent when it did not parse (the service refuses it and drops temp). */
  storageKey?: string;
}

/** Parses a DICOM file's attributes (the pixels are not decoded or kept). */
export function parseAttributes(bytes: Uint8Array): Result<DicomAttributes> {
  const parsed = parseDicom(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return parsed.ok ? ok(parsed.value.attrs) : parsed;
}

/**
 * Takes in one file whose bytes are in memory (a STOW-RS part): parses it, writes a fsynced temporary file, and
 * commits that to the store when it parsed, so the ingest service neither reads it back nor waits for the disk.
 * Storage failures throw (STORAGE_FULL for a full disk); a file that does not parse is a value, not an error.
 * Blocking: it runs on an intake thread (intake-pool.ts), never on the event loop.
 */
export function intakeSync(store: ContentStore, bytes: Uint8Array): Intake {
  const parsed = parseAttributes(bytes);
  return { ...store.storeSync(bytes, parsed.ok), parsed };
}
