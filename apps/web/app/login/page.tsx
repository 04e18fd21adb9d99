import { Suspense } from 'react';
import { LoginForm } from '@/session/login-form';

export default function LoginPage() {
  return (
    <Suspense>
      <LoginForm />
    </Suspense>
  );
}
