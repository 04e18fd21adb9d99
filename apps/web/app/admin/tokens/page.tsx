import { TokensAdmin } from '@/admin/tokens';

export default function Page() {
  return <TokensAdmin />;
}
