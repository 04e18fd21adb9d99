/**
 * The worklist's current order, kept for the viewer's J/K (next/previous study). Stored per tab, so two tabs with
 * different filters each step through their own list.
 */
const KEY = 'ich.worklist.order';

export function rememberOrder(ids: readonly string[]): void {
  try {
    sessionStorage.setItem(KEY, JSON.stringify(ids));
  } catch {
    // storage may be disabled; J/K then does nothing
  }
}

export function neighbour(id: string, step: 1 | -1): string | null {
  try {
    const ids: unknown = JSON.parse(sessionStorage.getItem(KEY) ?? '[]');
    if (!Array.isArray(ids)) return null;
    const i = ids.indexOf(id);
    const next = i < 0 ? undefined : ids[i + step];
    return typeof next === 'string' ? next : null;
  } catch {
    return null;
  }
}
