import { randomUUID } from 'node:crypto';
import { lstat } from 'node:fs/promises';
import { AppError } from '@ich/errors';
import { ProgressBar } from '../../inference/progress-bar.js';
import { listFiles, readDicomFile } from '../../pipeline/load-studies.js';
import { type Command, parseCommandLine } from '../command.js';
import { intFlag } from '../flags.js';

const usage =
  'ich-ml send <files or folders...> --url <api> --token <token> [--batch N] [--json]   (token also from ICH_TOKEN)';

/** A request stays well below the server's MAX_UPLOAD_MB default and keeps memory small. */
const MAX_BATCH_BYTES = 64 * 1024 * 1024;

interface Failure {
  file: string;
  sopInstanceUid: string | null;
  reason: string;
}

/**
 * A DICOMweb STOW-RS client: sends DICOM files (folders are walked) to `<api>/dicom-web/studies` in batches of
 * multipart/related; type="application/dicom" requests, with an API token (write:uploads) as Bearer. Files without
 * the DICM marker are skipped locally; the server's per-instance failures (FailedSOPSequence) are listed with their
 * reason codes. Exit status 0 when every instance was stored (or already known), 2 when some were refused.
 */
const command: Command = {
  name: 'send',
  summary: 'Send DICOM files or folders to the ICH triage API over DICOMweb STOW-RS (progress, per-file failures).',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandLine(argv, usage, {
      url: { type: 'string' },
      token: { type: 'string' },
      batch: { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    if (positionals.length === 0) throw new AppError('BAD_USER_INPUT', `no files or folders given (usage: ${usage})`);
    if (!values.url) throw new AppError('BAD_USER_INPUT', `--url <api> is required (usage: ${usage})`);
    const token = values.token ?? process.env['ICH_TOKEN'];
    if (!token) throw new AppError('BAD_USER_INPUT', `--token <token> (or ICH_TOKEN) is required (usage: ${usage})`);
    const batch = intFlag(values, 'batch', { min: 1, max: 1000, default: 20 });
    const endpoint = stowEndpoint(values.url);

    for (const p of positionals) await mustExist(p);
    // Links followed once, FIFOs, devices and broken links reported: the pipeline's rules (see loadStudies). Every
    // regular file is listed (no sidecar filter): one without the DICM marker is reported as skipped.
    const { files, rejected } = await listFiles(positionals, { skipSidecars: false });
    const skipped: string[] = [];
    const failures: Failure[] = rejected.map((r) => ({
      file: r.path,
      sopInstanceUid: null,
      reason: `${r.error.code}: ${r.error.message}`,
    }));
    let stored = 0;
    let sentBytes = 0;
    const started = Date.now();
    const progress = new ProgressBar('sending', process.stderr);
    let pending: Array<{ file: string; bytes: Buffer }> = [];
    let pendingBytes = 0;
    let done = 0;
    const flush = async () => {
      if (pending.length === 0) return;
      const answer = await stow(endpoint, token, pending);
      stored += answer.stored;
      for (const f of answer.failed) {
        const file = pending.find((p) => f.sopInstanceUid && p.bytes.includes(f.sopInstanceUid))?.file ?? '(unknown)';
        failures.push({ file, ...f });
      }
      done += pending.length;
      sentBytes += pendingBytes;
      pending = [];
      pendingBytes = 0;
      const seconds = Math.max(0.001, (Date.now() - started) / 1000);
      if (!values.json)
        progress.update(
          done,
          files.length - skipped.length,
          `instances, ${(sentBytes / 1e6 / seconds).toFixed(1)} MB/s`,
        );
    };
    for (const file of files) {
      // Regular files up to MAX_DICOM_FILE_BYTES only, read one at a time: a huge or endless input is refused with
      // its code (FILE_TOO_LARGE, BAD_USER_INPUT) instead of read into memory.
      const read = await readDicomFile(file);
      if (!read.ok) {
        failures.push({ file, sopInstanceUid: null, reason: `${read.error.code}: ${read.error.message}` });
        continue;
      }
      const bytes = Buffer.from(read.value.buffer, read.value.byteOffset, read.value.byteLength);
      if (bytes.length < 132 || bytes.toString('latin1', 128, 132) !== 'DICM') {
        skipped.push(file);
        continue;
      }
      if (pending.length > 0 && (pending.length >= batch || pendingBytes + bytes.length > MAX_BATCH_BYTES))
        await flush();
      pending.push({ file, bytes });
      pendingBytes += bytes.length;
    }
    await flush();
    progress.done();

    const summary = {
      url: endpoint,
      files: files.length,
      stored,
      failed: failures.length,
      skipped: skipped.length,
      failures,
      skippedFiles: skipped,
    };
    if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else {
      for (const f of failures) process.stdout.write(`failed  ${f.file}: ${f.reason}\n`);
      for (const s of skipped) process.stdout.write(`skipped ${s}: not DICOM Part 10 (no DICM marker)\n`);
      process.stdout.write(
        `sent ${stored} instance(s) to ${endpoint}${failures.length ? `, ${failures.length} refused` : ''}${skipped.length ? `, ${skipped.length} skipped` : ''}\n`,
      );
    }
    return failures.length > 0 ? 2 : 0;
  },
};

export default command;

function stowEndpoint(url: string): string {
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    throw new AppError('BAD_USER_INPUT', `--url: "${url}" is not a URL`);
  }
  const path = base.pathname.replace(/\/+$/, '');
  base.pathname = path.endsWith('/dicom-web') ? `${path}/studies` : `${path}/dicom-web/studies`;
  return base.toString();
}

async function mustExist(path: string): Promise<void> {
  try {
    await lstat(path);
  } catch {
    throw new AppError('BAD_USER_INPUT', `${path}: no such file or folder`);
  }
}

const REASONS: Record<number, string> = {
  49152: 'cannot understand (not DICOM, malformed or truncated)',
  290: 'SOP class not supported (not a monochrome image)',
  49442: 'transfer syntax not supported',
  273: 'the SOPInstanceUID is stored with other content (conflict)',
  43264: 'does not belong to the study of the request',
  42752: 'out of resources (server storage full or request too large)',
  272: 'processing failure',
};

type DicomJson = Record<string, { Value?: unknown[] }>;

async function stow(
  endpoint: string,
  token: string,
  files: ReadonlyArray<{ bytes: Buffer }>,
): Promise<{ stored: number; failed: Array<{ sopInstanceUid: string | null; reason: string }> }> {
  const boundary = `ich-ml-${randomUUID()}`;
  const parts: Buffer[] = [];
  for (const f of files)
    parts.push(Buffer.from(`\r\n--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), f.bytes);
  parts.push(Buffer.from(`\r\n--${boundary}--\r\n`));
  let response: Response;
  try {
    response = await fetch(endpoint, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/dicom+json',
        'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`,
      },
      body: Buffer.concat(parts),
    });
  } catch (thrown) {
    const cause = (thrown as { cause?: { code?: string } }).cause?.code ?? (thrown as Error).message;
    throw new AppError('BAD_USER_INPUT', `cannot reach ${endpoint} (${cause})`);
  }
  const text = await response.text();
  if (response.status === 401)
    throw new AppError('UNAUTHENTICATED', 'the API refused the token (unknown, expired or revoked)');
  if (response.status === 403) throw new AppError('FORBIDDEN', 'the token lacks the "write:uploads" scope');
  if (response.status === 507) throw new AppError('STORAGE_FULL', 'the server has no space left to store the files');
  if (![200, 202, 409].includes(response.status))
    throw new AppError('BAD_USER_INPUT', `STOW-RS answered ${response.status}: ${text.slice(0, 300)}`);
  let body: DicomJson;
  try {
    body = JSON.parse(text) as DicomJson;
  } catch {
    throw new AppError('BAD_USER_INPUT', `STOW-RS answered ${response.status} without DICOM JSON`);
  }
  const referenced = (body['00081199']?.Value ?? []) as DicomJson[];
  const failed = ((body['00081198']?.Value ?? []) as DicomJson[]).map((item) => {
    const code = Number(item['00081197']?.Value?.[0] ?? 0x0110);
    const sop = item['00081155']?.Value?.[0];
    return {
      sopInstanceUid: typeof sop === 'string' ? sop : null,
      reason: `0x${code.toString(16).toUpperCase().padStart(4, '0')} ${REASONS[code] ?? 'failed'}`,
    };
  });
  return { stored: referenced.length, failed };
}
