import { UsersAdmin } from '@/admin/users';

export default function Page() {
  return <UsersAdmin />;
}
