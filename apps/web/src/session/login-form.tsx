'use client';

import { useMutation } from '@apollo/client/react';
import { useSearchParams } from 'next/navigation';
import { type FormEvent, useState } from 'react';
import { LoginMutation } from '@/graphql/documents';
import { safeReturnPath } from './return-to';

export function LoginForm() {
  const params = useSearchParams();
  const [login, { loading }] = useMutation(LoginMutation);
  const [error, setError] = useState<string | null>(null);
  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setError(null);
    try {
      await login({ variables: { email: String(form.get('email')), password: String(form.get('password')) } });
      // A full navigation, so every cached query starts again under the new session.
      window.location.assign(safeReturnPath(params.get('next')));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <main className="login">
      <h1>ICH triage</h1>
      <p className="muted">Intracranial hemorrhage triage for head CT. Sign in to see the worklist.</p>
      <form onSubmit={onSubmit} aria-describedby={error ? 'login-error' : undefined}>
        <label htmlFor="email">Email</label>
        <input id="email" name="email" type="email" autoComplete="username" required />
        <label htmlFor="password">Password</label>
        <input id="password" name="password" type="password" autoComplete="current-password" required />
        {error ? (
          <p id="login-error" role="alert" className="error">
            {error}
          </p>
        ) : null}
        <button type="submit" disabled={loading}>
          {loading ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
