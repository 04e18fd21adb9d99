import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../src/audit/audit-log.js';
import { loadSecretKey } from '../../../src/auth/secret-box.js';
import { queueSends } from '../../../src/destinations/enqueue.js';
import { SendQueue } from '../../../src/destinations/send-queue.js';
import { ResultSender, type SendOutcome } from '../../../src/destinations/sender.js';
import { pollingWakeup, postgresWakeup, SEND_CHANNEL } from '../../../src/queue/wakeup.js';
import { createUser } from '../../factories/index.js';
import { storeSynthStudy } from '../../factories/stored-study.js';
import { PROVIDERS, startApi, type TestApi } from '../api/harness.js';
import { waitFor } from '../worker/worker-harness.js';
import { orthancUnavailable } from './orthanc.js';
import { type RoutedOrthanc, startRoutedOrthanc } from './orthanc-routing.js';

const unavailable = orthancUnavailable();
const BACKOFF_MS = 250;
const SLICES = 3;

/** A 127.0.0.1 port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const CREATE = `mutation($input: DestinationInput!) { createDestination(input: $input) { id name hasSecret } }`;
const SENDS = `query($id: ID!) { study(id: $id) { sends {
  sopInstanceUid status attempts maxAttempts lastErrorCode lastError nextAttemptAt sentAt destination { name }
} } }`;

interface Send {
  sopInstanceUid: string;
  status: string;
  attempts: number;
  maxAttempts: number;
  lastErrorCode: string | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  sentAt: string | null;
  destination: { name: string };
}

describe.skipIf(unavailable !== null)(
  `sends to a PACS that is down, then back (Orthanc)${unavailable ? ` — skipped: ${unavailable}` : ''}`,
  () => {
    describe.each(PROVIDERS)('on %s', (provider) => {
      let t: TestApi;
      let orthanc: RoutedOrthanc;
      let sender: ResultSender;
      let admin = '';
      const outcomes: Array<SendOutcome & { at: number }> = [];

      beforeAll(async () => {
        t = await startApi(provider);
        const a = await createUser(t.prisma, { role: 'ADMIN' });
        admin = await t.login(a.user.email, a.password);
        // No product token needed: this test sends stored instances; nothing is forwarded to the product.
        orthanc = await startRoutedOrthanc({ productDicomWebUrl: `${t.url}/dicom-web`, productToken: 'unused' });
        sender = new ResultSender({
          prisma: t.prisma,
          queue: new SendQueue(t.prisma, provider, { leaseMs: 5_000, retryBackoffMs: BACKOFF_MS }),
          wakeup: provider === 'postgresql' ? postgresWakeup(t.databaseUrl, () => {}, SEND_CHANNEL) : pollingWakeup(),
          audit: new AuditLog(t.prisma, provider),
          storageDir: t.storageDir,
          // The API's key file: the API sealed the destinations' secrets with it.
          secretKey: loadSecretKey(t.config.destinationKeyFile),
          settings: { concurrency: 2, leaseMs: 5_000, pollMs: 50, timeoutMs: 5_000, disabledRecheckMs: 1_000 },
        });
        sender.onSend((outcome) => outcomes.push({ ...outcome, at: Date.now() }));
        sender.start();
      }, 60_000);
      afterAll(async () => {
        await sender?.stop();
        await orthanc?.stop();
        await t?.close();
      });

      it('retries with backoff while the PACS is down, sends once when it is back, and never sends an acknowledged instance again', async () => {
        const stored = await storeSynthStudy(t.prisma, t.storageDir, { slices: SLICES });
        const created = await t.gql<{ createDestination: { id: string } }>(
          CREATE,
          { input: { name: `pacs-${provider}`, kind: 'DICOMWEB', url: orthanc.dicomWebUrl, autoSend: false } },
          { token: admin },
        );
        expect(created.errors).toBeUndefined();
        const destinationId = created.data?.createDestination.id as string;
        await orthanc.down();
        const stowBefore = orthanc.wire.stowRequests;

        const request = {
          destinationId,
          studyId: stored.study.id,
          instances: stored.instances.map((i) => ({ instanceId: i.id, sopInstanceUid: i.sopInstanceUid })),
          trigger: 'MANUAL' as const,
          maxAttempts: 8,
        };
        expect(await queueSends(t.prisma, request)).toMatchObject({ queued: SLICES, alreadySent: 0, pending: 0 });

        // Down: each send fails, is queued again with a growing delay, and says why.
        await waitFor(
          'three failed attempts per send',
          async () => (await t.prisma.sendJob.count({ where: { destinationId, attempts: { gte: 3 } } })) === SLICES,
          20_000,
        );
        const down = await t.gql<{ study: { sends: Send[] } }>(SENDS, { id: stored.study.id }, { token: admin });
        expect(down.errors).toBeUndefined();
        for (const send of down.data?.study.sends ?? []) {
          expect(['QUEUED', 'SENDING']).toContain(send.status);
          expect(send.lastErrorCode).toBe('DESTINATION_UNREACHABLE');
          expect(send.lastError).toContain(`pacs-${provider}`);
          expect(send.sentAt).toBeNull();
        }
        const retries = outcomes.filter((o) => o.destinationId === destinationId && o.kind === 'RETRY');
        for (const retry of retries) {
          // The delay doubles per attempt: backoff × 2^(attempt−1), measured from when the attempt failed.
          const delay = (retry.retryAt as Date).getTime() - retry.at;
          expect(delay).toBeGreaterThan(BACKOFF_MS * 2 ** (retry.attempt - 1) - 100);
          expect(delay).toBeLessThanOrEqual(BACKOFF_MS * 2 ** (retry.attempt - 1));
        }
        const first = outcomes.find((o) => o.sendId && o.attempt === 1 && o.destinationId === destinationId);
        const second = outcomes.find((o) => o.sendId === first?.sendId && o.attempt === 2);
        expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(BACKOFF_MS - 50);

        // Back: every send goes through, each instance once.
        await orthanc.up();
        await waitFor(
          'all sends acknowledged',
          async () => (await t.prisma.sendJob.count({ where: { destinationId, status: 'DONE' } })) === SLICES,
          30_000,
        );
        const studies =
          await orthanc.json<Array<{ MainDicomTags: { StudyInstanceUID: string }; ID: string }>>('/studies?expand');
        const inOrthanc = studies.find((s) => s.MainDicomTags.StudyInstanceUID === stored.synth.studyInstanceUid);
        expect(inOrthanc).toBeDefined();
        const instances = await orthanc.json<Array<{ MainDicomTags: { SOPInstanceUID: string } }>>(
          `/studies/${inOrthanc?.ID}/instances`,
        );
        expect(instances.map((i) => i.MainDicomTags.SOPInstanceUID).sort()).toEqual(
          stored.instances.map((i) => i.sopInstanceUid).sort(),
        );
        const sentWire = orthanc.wire.stowRequests - stowBefore;
        expect(sentWire).toBe(SLICES);
        // Audited as DICOM Instances Transferred, one event per acknowledged instance (appended right after).
        const audited = await waitFor('the sends audited', async () => {
          const rows = await t.prisma.auditEvent.findMany({
            where: { action: 'dicom.send', outcome: 'SUCCESS', studyId: stored.study.id },
          });
          return rows.length >= SLICES && rows;
        });
        expect(audited).toHaveLength(SLICES);
        for (const event of audited) {
          const details = JSON.parse(event.details) as { destinationId: string; sopInstanceUids: string[] };
          expect(details.destinationId).toBe(destinationId);
          expect(details.sopInstanceUids).toHaveLength(1);
        }

        // Asked again (an admin's resend, a repeated auto-send): acknowledged instances are not sent again.
        expect(await queueSends(t.prisma, request)).toMatchObject({ queued: 0, alreadySent: SLICES });
        await new Promise((r) => setTimeout(r, 500));
        expect(orthanc.wire.stowRequests - stowBefore).toBe(SLICES);
        const after = await t.gql<{ study: { sends: Send[] } }>(SENDS, { id: stored.study.id }, { token: admin });
        for (const send of after.data?.study.sends ?? []) {
          expect(send.status).toBe('SENT');
          expect(send.sentAt).not.toBeNull();
          expect(send.lastError).toBeNull();
        }
      }, 60_000);

      it("C-STOREs to Orthanc's DICOM port, and the connection test answers for both protocols", async () => {
        const stored = await storeSynthStudy(t.prisma, t.storageDir, { slices: 2 });
        const created = await t.gql<{ createDestination: { id: string } }>(
          CREATE,
          {
            input: {
              name: `dimse-${provider}`,
              kind: 'DIMSE',
              host: '127.0.0.1',
              port: orthanc.dicomPort,
              calledAet: orthanc.dicomAet,
              callingAet: 'ICH_TEST',
            },
          },
          { token: admin },
        );
        expect(created.errors).toBeUndefined();
        const destinationId = created.data?.createDestination.id as string;
        const TEST = 'mutation($id: ID!) { testDestination(id: $id) { ok message durationMs } }';
        const echo = await t.gql<{ testDestination: { ok: boolean; message: string } }>(
          TEST,
          { id: destinationId },
          { token: admin },
        );
        expect(echo.data?.testDestination).toMatchObject({ ok: true, message: 'C-ECHO succeeded' });
        const web = await t.gql<{ createDestination: { id: string } }>(
          CREATE,
          { input: { name: `web-${provider}`, kind: 'DICOMWEB', url: orthanc.dicomWebUrl } },
          { token: admin },
        );
        const qido = await t.gql<{ testDestination: { ok: boolean } }>(
          TEST,
          { id: web.data?.createDestination.id },
          { token: admin },
        );
        expect(qido.data?.testDestination.ok).toBe(true);

        const connections = orthanc.wire.dicomConnections;
        await queueSends(t.prisma, {
          destinationId,
          studyId: stored.study.id,
          instances: stored.instances.map((i) => ({ instanceId: i.id, sopInstanceUid: i.sopInstanceUid })),
          trigger: 'MANUAL',
          maxAttempts: 3,
        });
        await waitFor(
          'both C-STOREs acknowledged',
          async () => (await t.prisma.sendJob.count({ where: { destinationId, status: 'DONE' } })) === 2,
          20_000,
        );
        const found = await orthanc.call('POST', '/tools/find', {
          Level: 'Instance',
          Query: { StudyInstanceUID: stored.synth.studyInstanceUid },
        });
        expect((JSON.parse(found.body.toString()) as string[]).length).toBe(2);
        // One association per send.
        expect(orthanc.wire.dicomConnections - connections).toBe(2);
      }, 60_000);

      it('after the last attempt a send is FAILED, and admins see it through GraphQL', async () => {
        const stored = await storeSynthStudy(t.prisma, t.storageDir, { slices: 2 });
        const created = await t.gql<{ createDestination: { id: string } }>(
          CREATE,
          {
            input: {
              name: `gone-${provider}`,
              kind: 'DIMSE',
              host: '127.0.0.1',
              port: await closedPort(),
              calledAet: 'NOBODY',
            },
          },
          { token: admin },
        );
        expect(created.errors).toBeUndefined();
        const destinationId = created.data?.createDestination.id as string;
        await queueSends(t.prisma, {
          destinationId,
          studyId: stored.study.id,
          instances: stored.instances.map((i) => ({ instanceId: i.id, sopInstanceUid: i.sopInstanceUid })),
          trigger: 'MANUAL',
          maxAttempts: 2,
        });
        await waitFor(
          'both sends FAILED',
          async () => (await t.prisma.sendJob.count({ where: { destinationId, status: 'FAILED' } })) === 2,
          20_000,
        );
        const failed = await t.gql<{
          failedSends: Array<{
            sopInstanceUid: string;
            attempts: number;
            lastErrorCode: string;
            destination: { id: string };
          }>;
          destination: { sendCounts: { failed: number; sent: number }; failures: Array<{ sopInstanceUid: string }> };
        }>(
          `query($id: ID!) {
            failedSends(first: 50) { sopInstanceUid attempts lastErrorCode destination { id } }
            destination(id: $id) { sendCounts { failed sent } failures { sopInstanceUid } }
          }`,
          { id: destinationId },
          { token: admin },
        );
        expect(failed.errors).toBeUndefined();
        const mine = failed.data?.failedSends.filter((s) => s.destination.id === destinationId) ?? [];
        expect(mine.map((s) => s.sopInstanceUid).sort()).toEqual(stored.instances.map((i) => i.sopInstanceUid).sort());
        for (const send of mine) {
          expect(send.attempts).toBe(2);
          expect(send.lastErrorCode).toBe('DESTINATION_UNREACHABLE');
        }
        expect(failed.data?.destination.sendCounts).toEqual({ failed: 2, sent: 0 });
        expect(failed.data?.destination.failures).toHaveLength(2);
        const audited = await waitFor('the failures audited', async () => {
          const n = await t.prisma.auditEvent.count({
            where: { action: 'dicom.send', outcome: 'FAILURE', studyId: stored.study.id },
          });
          return n >= 2 && n;
        });
        expect(audited).toBe(2);

        // A clinician sees neither the failures nor the study's sends.
        const c = await createUser(t.prisma, { role: 'CLINICIAN' });
        const clinician = await t.login(c.user.email, c.password);
        const refused = await t.gql('{ failedSends { id } }', {}, { token: clinician });
        expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      }, 60_000);
    });
  },
);
