import type { Db, ResultObjectRecord } from '../db/records.js';

const KIND_ORDER = { SR: 0, SC: 1 } as const;

/** A result object with what a sender needs: the UIDs and the stored file (STORAGE_DIR-relative key). */
export interface ResultObjectForSend extends ResultObjectRecord {
  instance: { storageKey: string; sopClassUid: string; transferSyntaxUid: string; sizeBytes: number };
}

/**
 * The DICOM result objects (SR first, then the summary image) written for one prediction, for the sending side
 * (destinations). Empty until the worker has generated them; generation is idempotent, so a sender may wait for both.
 */
export async function listResultObjects(
  db: Pick<Db, 'resultObject'>,
  studyPredictionId: string,
): Promise<ResultObjectForSend[]> {
  const rows = await db.resultObject.findMany({
    where: { studyPredictionId },
    include: {
      instance: { select: { storageKey: true, sopClassUid: true, transferSyntaxUid: true, sizeBytes: true } },
    },
  });
  // Sorted here: an enum orders by declaration on PostgreSQL and as text on SQLite.
  return rows.sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);
}
