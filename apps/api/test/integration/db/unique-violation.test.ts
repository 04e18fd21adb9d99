import { createTestDatabase, PROVIDERS } from '@ich/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareDatabase } from '../../../src/db/index.js';
import { isUniqueViolation } from '../../../src/services/prisma-errors.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const caught = async (work: () => Promise<unknown>): Promise<unknown> => {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error('expected the statement to fail');
};

// The ingest service retries a batch when a parallel request inserted the same instance first; its instances go in
// as one raw multi-row INSERT, whose error is not Prisma's P2002, so both forms must be recognised on both drivers.
describe.each(PROVIDERS)('isUniqueViolation on %s', (provider) => {
  it('recognises a duplicate from a model query and from a raw statement, in and out of a transaction', async () => {
    const test = await createTestDatabase(provider, 'unique-violation');
    cleanups.push(test.drop);
    const db = await prepareDatabase(test.url);
    cleanups.push(() => db.close());
    const row = { patientId: 'P1', issuer: '', name: 'A' };
    await db.prisma.patient.create({ data: row });
    const insert = () =>
      db.prisma.$executeRaw`INSERT INTO "Patient" ("id", "patientId", "issuer", "name") VALUES ('x', 'P1', '', 'A')`;

    expect(isUniqueViolation(await caught(() => db.prisma.patient.create({ data: row })))).toBe(true);
    expect(isUniqueViolation(await caught(insert))).toBe(true);
    expect(isUniqueViolation(await caught(() => db.prisma.$transaction(async () => insert())))).toBe(true);
    // Other constraint failures are not duplicates (a study of a patient that does not exist).
    const orphan = await caught(
      () =>
        db.prisma.$executeRaw`INSERT INTO "Study" ("id", "studyInstanceUid", "patientId") VALUES ('s', '1.2', 'none')`,
    );
    expect(isUniqueViolation(orphan)).toBe(false);
  });
});
