import { Worklist } from '@/worklist/worklist';

export default function WorklistPage() {
  return <Worklist />;
}
