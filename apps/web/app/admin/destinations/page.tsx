import { DestinationsAdmin } from '@/admin/destinations';

export default function Page() {
  return <DestinationsAdmin />;
}
