import { UploadPage } from '@/upload/upload';

export default function Upload() {
  return <UploadPage />;
}
