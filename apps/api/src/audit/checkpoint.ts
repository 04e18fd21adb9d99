import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  appendFileSync,
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';

/**
 * Keyed checkpoints of the audit chain's head. The hash chain alone shows that rows were changed *inside* the log,
 * but whoever can write the database can also delete the newest rows, or rewrite every row and recompute every
 * later SHA-256. A checkpoint records the head (its seq and hash) and how many events lead up to it, with an
 * HMAC-SHA256 under a key that lives outside the database (AUDIT_KEY_FILE). Checkpoints are appended to a file
 * outside the database (AUDIT_CHECKPOINT_FILE) periodically and at shutdown, and exports carry one. Verification then
 * needs the key, not the database's word: a truncated log no longer reaches the checkpoint's seq, and a rewritten one
 * no longer has the checkpoint's hash there.
 */
export interface AuditCheckpoint {
  v: 1;
  /** The seq of the head event when the checkpoint was taken. */
  seq: number;
  /** The head event's hash. */
  headHash: string;
  /** How many events have seq ≤ `seq` (PostgreSQL sequences may skip numbers, so seq alone is not a count). */
  count: number;
  at: string;
  /** First 16 hex characters of SHA-256(key): which key signed it, without revealing the key. */
  keyId: string;
  /** HMAC-SHA256(key, canonical body) in hex. */
  mac: string;
}

type Body = Omit<AuditCheckpoint, 'mac'>;

function canonical(body: Body): string {
  return JSON.stringify({
    v: body.v,
    seq: body.seq,
    headHash: body.headHash,
    count: body.count,
    at: body.at,
    keyId: body.keyId,
  });
}

export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

export function signCheckpoint(
  head: { seq: number; headHash: string; count: number },
  key: Buffer,
  at = new Date(),
): AuditCheckpoint {
  const body: Body = {
    v: 1,
    seq: head.seq,
    headHash: head.headHash,
    count: head.count,
    at: at.toISOString(),
    keyId: keyId(key),
  };
  return { ...body, mac: createHmac('sha256', key).update(canonical(body)).digest('hex') };
}

/** Whether a checkpoint (e.g. parsed from an export or the checkpoint file) was signed with this key. */
export function checkpointSignatureValid(checkpoint: AuditCheckpoint, key: Buffer): boolean {
  if (typeof checkpoint?.mac !== 'string' || !/^[0-9a-f]{64}$/.test(checkpoint.mac)) return false;
  const expected = createHmac('sha256', key).update(canonical(checkpoint)).digest();
  return timingSafeEqual(expected, Buffer.from(checkpoint.mac, 'hex'));
}

/** Parses a checkpoint from JSON text; null when it is not one. */
export function parseCheckpoint(text: string): AuditCheckpoint | null {
  try {
    const value = JSON.parse(text) as Partial<AuditCheckpoint>;
    if (
      value.v === 1 &&
      Number.isSafeInteger(value.seq) &&
      Number.isSafeInteger(value.count) &&
      typeof value.headHash === 'string' &&
      typeof value.at === 'string' &&
      typeof value.keyId === 'string' &&
      typeof value.mac === 'string'
    )
      return value as AuditCheckpoint;
  } catch {
    // Not JSON: not a checkpoint.
  }
  return null;
}

/**
 * The checkpoint key: 32 random bytes as hex in a file readable only by its owner. Created on first use (by whichever
 * process gets there first; the others read it). Back the file up apart from the database: verifying an old export
 * needs it.
 */
export function loadCheckpointKey(file: string): Buffer {
  mkdirSync(path.dirname(file), { recursive: true });
  try {
    writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readCheckpointKey(file);
}

/** Reads an existing key file (hex, at least 32 bytes). */
export function readCheckpointKey(file: string): Buffer {
  const text = readFileSync(file, 'utf8').trim();
  if (!/^([0-9a-f]{2}){32,}$/i.test(text))
    throw new Error(`${file}: expected at least 32 bytes of hex (the audit checkpoint key)`);
  return Buffer.from(text, 'hex');
}

// The newest checkpoint is the file's last line; reading the tail keeps that O(1) however long the file grows.
const TAIL_BYTES = 64 * 1024;

/** An append-only JSON-lines file of checkpoints, outside the database. */
export class CheckpointFile {
  constructor(readonly file: string) {}

  append(checkpoint: AuditCheckpoint): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    // One write of one short line with O_APPEND: lines from several API processes never interleave.
    appendFileSync(this.file, `${JSON.stringify(checkpoint)}\n`, { mode: 0o600 });
  }

  /** The newest checkpoint (the highest seq among the last lines), or null when none was written yet. */
  latest(): AuditCheckpoint | null {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    try {
      const size = fstatSync(fd).size;
      const length = Math.min(size, TAIL_BYTES);
      const buffer = Buffer.alloc(length);
      readSync(fd, buffer, 0, length, size - length);
      let best: AuditCheckpoint | null = null;
      for (const line of buffer.toString('utf8').split('\n')) {
        const checkpoint = parseCheckpoint(line);
        if (checkpoint && (!best || checkpoint.seq >= best.seq)) best = checkpoint;
      }
      return best;
    } finally {
      closeSync(fd);
    }
  }
}

export interface CheckpointCheck {
  ok: boolean;
  reason: string | null;
}

/**
 * Checks a chain (walked oldest first) against a checkpoint: the signature, then that the chain reaches the
 * checkpoint's seq with the checkpoint's hash and the same number of events up to it.
 */
export class CheckpointMatcher {
  private count = 0;
  private hashAtSeq: string | null = null;
  private lastSeq = 0;

  constructor(
    private readonly checkpoint: AuditCheckpoint,
    private readonly key: Buffer,
  ) {}

  see(row: { seq: number; hash: string }): void {
    this.lastSeq = row.seq;
    if (row.seq <= this.checkpoint.seq) this.count += 1;
    if (row.seq === this.checkpoint.seq) this.hashAtSeq = row.hash;
  }

  result(): CheckpointCheck {
    const cp = this.checkpoint;
    if (cp.keyId !== keyId(this.key) || !checkpointSignatureValid(cp, this.key))
      return { ok: false, reason: `checkpoint at seq ${cp.seq} is not signed with this key (forged, or another key)` };
    if (this.lastSeq < cp.seq)
      return {
        ok: false,
        reason: `the log ends at seq ${this.lastSeq}, before the checkpoint at seq ${cp.seq} (${cp.at}): events were removed`,
      };
    if (this.hashAtSeq !== cp.headHash)
      return {
        ok: false,
        reason: `the event at seq ${cp.seq} does not have the checkpoint's hash: the log was rewritten`,
      };
    if (this.count !== cp.count)
      return {
        ok: false,
        reason: `${this.count} events lead up to seq ${cp.seq}, the checkpoint counted ${cp.count}: events were removed or added`,
      };
    return { ok: true, reason: null };
  }
}
