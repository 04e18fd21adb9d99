import { existsSync } from 'node:fs';
import { readdir, rename, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { synthStudy } from '@ich/ml/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContentStore } from '../../../src/storage/content-store.js';
import { collectGarbage } from '../../../src/storage/garbage-collect.js';
import { createUser } from '../../factories/index.js';
import { PROVIDERS, startApi, type TestApi } from '../api/harness.js';
import { upload } from './helpers.js';

const HOUR = 3_600_000;

describe.each(PROVIDERS)('storage garbage collection on %s', (provider) => {
  let t: TestApi;
  let session = '';

  beforeAll(async () => {
    t = await startApi(provider);
    const admin = await createUser(t.prisma, { role: 'ADMIN' });
    session = await t.login(admin.user.email, admin.password);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Stores bytes as an object no row references, last modified `ageMs` ago. */
  async function orphan(bytes: Uint8Array, ageMs: number): Promise<string> {
    const key = await t.api.store.commit(await t.api.store.writeTempBytes(bytes));
    const when = new Date(Date.now() - ageMs);
    await utimes(path.join(t.storageDir, key), when, when);
    return key;
  }
  const present = (key: string) => existsSync(path.join(t.storageDir, key));

  it('removes old unreferenced objects and abandoned temp files; keeps referenced and recent ones', async () => {
    const study = synthStudy({ seed: `gc-${provider}`, slices: 3, size: 32, bleed: 'none' });
    const answer = await upload(
      t,
      study.files.map((f) => ({ name: f.name, data: f.bytes })),
      { token: session },
    );
    expect(answer.status).toBe(200);
    const referenced = (await t.prisma.instance.findMany({ select: { storageKey: true } })).map((i) => i.storageKey);
    expect(referenced).toHaveLength(3);
    // Referenced objects are old too: age alone never condemns an object.
    for (const key of referenced) {
      const when = new Date(Date.now() - 48 * HOUR);
      await utimes(path.join(t.storageDir, key), when, when);
    }
    const old = await orphan(Buffer.from(`refused part ${provider}`), 2 * HOUR);
    const recent = await orphan(Buffer.from(`in flight ${provider}`), 5 * 60_000);
    const temp = await t.api.store.writeTempBytes(Buffer.from('abandoned upload'));
    await utimes(temp.path, new Date(Date.now() - 3 * HOUR), new Date(Date.now() - 3 * HOUR));

    const result = await t.api.storageGc.runOnce();
    expect(result).toMatchObject({ removed: 1, removedBytes: `refused part ${provider}`.length, tempFilesRemoved: 1 });
    expect(present(old)).toBe(false);
    expect(present(recent)).toBe(true);
    expect(existsSync(temp.path)).toBe(false);
    for (const key of referenced) expect(present(key)).toBe(true);

    // The referenced study still reads back whole.
    const first = await t.prisma.instance.findFirstOrThrow({ where: { storageKey: referenced[0] } });
    expect((await t.api.store.read(first.storageKey)).length).toBe(first.sizeBytes);
  });

  it('storing the same bytes again refreshes an old object, so a row about to reference it keeps it', async () => {
    const bytes = Buffer.from(`reused ${provider}`);
    const key = await orphan(bytes, 5 * HOUR);
    // A new upload of the same bytes reuses the object (no rewrite) and touches it before its row is written.
    expect(await t.api.store.commit(await t.api.store.writeTempBytes(bytes))).toBe(key);
    expect((await stat(path.join(t.storageDir, key))).mtimeMs).toBeGreaterThan(Date.now() - 60_000);
    await t.api.storageGc.runOnce();
    expect(present(key)).toBe(true);
  });

  it('puts back a candidate that a commit touched or a row referenced after it was listed', async () => {
    const touchedKey = await orphan(Buffer.from(`touched ${provider}`), 5 * HOUR);
    const referencedKey = await orphan(Buffer.from(`referenced ${provider}`), 5 * HOUR);
    const store = new ContentStore(t.storageDir);
    let listed = false;
    const result = await collectGarbage({
      store,
      graceMs: HOUR,
      referenced: async (hashes) => {
        // The first lookup is the batch: nothing referenced yet. Then, before the collector moves anything, one
        // object is reused by a commit and the other gets its row (simulated by answering "referenced").
        if (!listed) {
          listed = true;
          await store.commit(await store.writeTempBytes(Buffer.from(`touched ${provider}`)));
          return new Set();
        }
        return new Set(hashes.filter((h) => referencedKey.includes(h)));
      },
    });
    expect(present(touchedKey)).toBe(true);
    expect(present(referencedKey)).toBe(true);
    expect(result.kept).toBeGreaterThanOrEqual(2);
  });

  it('recovers objects a collector that died mid-way left in trash', async () => {
    const key = await orphan(Buffer.from(`parked ${provider}`), 5 * HOUR);
    const hash = path.basename(key, '.dcm');
    const trash = path.join(t.storageDir, 'trash');
    await rename(path.join(t.storageDir, key), path.join(trash, `${hash}.crashed`));
    const result = await collectGarbage({
      store: t.api.store,
      graceMs: HOUR,
      referenced: async (hashes) => new Set(hashes.filter((h) => h === hash)),
    });
    expect(present(key)).toBe(true);
    expect(result.kept).toBeGreaterThanOrEqual(1);
    expect(await readdir(trash)).toEqual([]);
  });
});
