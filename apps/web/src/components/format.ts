/** Times in the reader's own time zone and locale (the browser's), with the zone named so nothing is ambiguous. */
const dateTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZoneName: 'short',
});

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : dateTime.format(d);
}

export function percent(p: number | null | undefined): string {
  return p === null || p === undefined ? '—' : `${Math.round(p * 100)}%`;
}

/** DICOM person names are `Family^Given^Middle`; shown as "Family, Given Middle". */
export function personName(dicom: string): string {
  const [family = '', given = '', middle = ''] = dicom.split('^');
  const rest = [given, middle].filter(Boolean).join(' ');
  return rest ? `${family}, ${rest}` : family || dicom;
}
