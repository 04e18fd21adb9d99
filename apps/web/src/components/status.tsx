import type { StudyStatus } from '@/graphql/generated/graphql';

const STATUS_TEXT: Record<string, string> = {
  RECEIVING: 'receiving',
  QUEUED: 'queued',
  PROCESSING: 'processing',
  DONE: 'done',
  FAILED: 'failed',
  NOT_ELIGIBLE: 'not eligible',
};

export function statusText(status: StudyStatus | string): string {
  return STATUS_TEXT[status] ?? status.toLowerCase().replaceAll('_', ' ');
}

export function StatusBadge({ status, reason }: { status: StudyStatus | string; reason?: string | null }) {
  return (
    <span className={`badge status-${status.toLowerCase()}`}>
      {statusText(status)}
      {reason ? <span className="reason">: {reason}</span> : null}
    </span>
  );
}

export function TriageFlag({ triage }: { triage: boolean | null }) {
  if (triage === null) return <span className="muted">—</span>;
  return triage ? (
    <span className="flag flag-bleed">Suspected bleed</span>
  ) : (
    <span className="flag flag-clear">No bleed predicted</span>
  );
}
