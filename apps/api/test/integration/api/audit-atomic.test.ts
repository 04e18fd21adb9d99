import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createTestDatabase, type TestDatabase } from '@ich/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../src/audit/audit-log.js';
import { type PreparedDatabase, prepareDatabase } from '../../../src/db/index.js';
import { createUser } from '../../factories/index.js';
import { PROVIDERS } from './harness.js';

const CHILD = path.resolve(import.meta.dirname, 'fixtures/parallel-changes.ts');
const CRASHES = 4;

/**
 * Starts the child that makes audited changes 40 at a time, lets it finish `waves` waves, then kills it with SIGKILL
 * a moment into the next one, while changes and their events are in flight.
 */
async function crashMidway(databaseUrl: string, adminId: string, waves: number, delayMs: number): Promise<void> {
  // node itself, not the tsx launcher: SIGKILL must hit the process that writes (tsx runs the script in a child).
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CHILD, databaseUrl, adminId], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => {
    child.on('exit', (code, signal) => resolve(signal ?? code));
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  let seen = 0;
  for await (const line of lines) {
    if (line.startsWith('wave ')) seen += 1;
    if (seen >= waves) break;
  }
  if (seen < waves) throw new Error(`the child ended after ${seen} waves: ${stderr}`);
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
}

describe.each(PROVIDERS)('a change and its audit event commit together on %s', (provider) => {
  let target: TestDatabase;
  let db: PreparedDatabase;
  beforeAll(async () => {
    target = await createTestDatabase(provider, 'audit_atomic');
    db = await prepareDatabase(target.url);
  });
  afterAll(async () => {
    await db?.close();
    await target?.drop();
  });

  it('leaves no token or user without its event after kill -9 during 40 parallel changes, and the chain verifies', async () => {
    const { user: admin } = await createUser(db.prisma, { role: 'ADMIN' });
    for (let crash = 0; crash < CRASHES; crash += 1) await crashMidway(target.url, admin.id, 2, 10 + crash * 70);

    const tokens = await db.prisma.apiToken.findMany({ select: { id: true } });
    const users = await db.prisma.user.findMany({ where: { id: { not: admin.id } }, select: { id: true } });
    // The crashes came mid-wave: at least the finished waves' changes are there (30 tokens and 10 users a wave).
    expect(tokens.length).toBeGreaterThanOrEqual(CRASHES * 2 * 30);
    expect(users.length).toBeGreaterThanOrEqual(CRASHES * 2 * 10);
    const audited = async (action: string) =>
      new Set(
        (await db.prisma.auditEvent.findMany({ where: { action }, select: { resourceId: true } })).map(
          (e) => e.resourceId,
        ),
      );
    const tokenEvents = await audited('token.create');
    const userEvents = await audited('user.create');
    expect(tokens.filter((t) => !tokenEvents.has(t.id)).map((t) => t.id)).toEqual([]);
    expect(users.filter((u) => !userEvents.has(u.id)).map((u) => u.id)).toEqual([]);
    // Nor an event without its change: a rolled-back change leaves no event behind.
    expect(tokenEvents.size).toBe(tokens.length);
    expect(userEvents.size).toBe(users.length);

    const verification = await new AuditLog(db.prisma, db.provider).verify();
    expect(verification).toMatchObject({ ok: true, checked: tokens.length + users.length });
  });
});
