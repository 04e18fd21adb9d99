import { AuditAdmin } from '@/admin/audit';

export default function Page() {
  return <AuditAdmin />;
}
