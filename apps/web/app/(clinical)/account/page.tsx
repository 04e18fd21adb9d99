import { AccountPage } from '@/session/account';

export default function Account() {
  return <AccountPage />;
}
