import { ModelsAdmin } from '@/admin/models';

export default function Page() {
  return <ModelsAdmin />;
}
