'use client';

import { useEffect, useRef, useState } from 'react';

interface LiveRow {
  id: string;
  triage: boolean | null;
}

const POLL_MS = 5_000;

/**
 * Keeps the worklist current without a reload, and returns the studies that became suspected bleeds since the page
 * opened, so the table can make them stand out (and the page announce them) instead of quietly inserting a row.
 */
export function useLiveWorklist(refetch: () => Promise<unknown>, rows: readonly LiveRow[]): ReadonlySet<string> {
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void refetch().catch(() => undefined);
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [refetch]);

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
