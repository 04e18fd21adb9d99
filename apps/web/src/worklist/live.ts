'use client';

import { useSubscription } from '@apollo/client/react';
import { useEffect, useRef, useState } from 'react';
import { WorklistUpdatedSubscription } from '@/graphql/documents';

interface LiveRow {
  id: string;
  triage: boolean | null;
}

// Several events in a burst (a study arriving, queued, analyzed) cost one refetch.
const REFETCH_DELAY_MS = 300;

/**
 * Keeps the worklist current without a reload: the API's worklistUpdated feed (graphql-ws through the web origin)
 * says that a study arrived, changed status or got a result, and the current page is read again in the API's order.
 * It also returns the studies that became suspected bleeds since the page
 * opened, so the table can make them stand out (and the page announce them) instead of quietly inserting a row.
 */
export function useLiveWorklist(refetch: () => Promise<unknown>, rows: readonly LiveRow[]): ReadonlySet<string> {
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  useSubscription(WorklistUpdatedSubscription, {
    onData: () => {
      if (pending.current) return;
      pending.current = setTimeout(() => {
        pending.current = null;
        void refetch().catch(() => undefined);
      }, REFETCH_DELAY_MS);
    },
  });
  useEffect(
    () => () => {
      if (pending.current) clearTimeout(pending.current);
    },
    [],
  );

  const seenBleeds = useRef<Set<string> | null>(null);
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  useEffect(() => {
    if (rows.length === 0 && seenBleeds.current === null) return;
    const bleeds = rows.filter((r) => r.triage).map((r) => r.id);
    if (seenBleeds.current === null) {
      seenBleeds.current = new Set(bleeds);
      return;
    }
    const added = bleeds.filter((id) => !seenBleeds.current?.has(id));
    if (added.length === 0) return;
    for (const id of added) seenBleeds.current.add(id);
    setFresh((prev) => new Set([...prev, ...added]));
  }, [rows]);
  return fresh;
}
