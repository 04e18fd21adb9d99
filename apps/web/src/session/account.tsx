'use client';

import { useMutation } from '@apollo/client/react';
import { type FormEvent, useState } from 'react';
import { ChangePasswordMutation, MeQuery } from '@/graphql/documents';
import { useOptionalUser } from './session';

export function AccountPage() {
  const user = useOptionalUser();
  const [change, { loading }] = useMutation(ChangePasswordMutation, { refetchQueries: [MeQuery] });
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const formEl = event.currentTarget;
    const form = new FormData(formEl);
    const next = String(form.get('new'));
    if (next !== String(form.get('confirm'))) {
      setMessage({ ok: false, text: 'The two new passwords differ.' });
      return;
    }
    try {
      await change({ variables: { current: String(form.get('current')), new: next } });
      formEl.reset();
      setMessage({ ok: true, text: 'Password changed. Your other sessions were signed out.' });
    } catch (e) {
      setMessage({ ok: false, text: e instanceof Error ? e.message : String(e) });
    }
  };
  if (!user) return <p aria-busy="true">Loading your account…</p>;
  return (
    <>
      <h1>Your account</h1>
      <p>
        {user.email}, {user.role.toLowerCase()}
      </p>
      <h2>Change password</h2>
      {user.passwordChangeRequired ? (
        <p className="notice notice-warn">Your password was set by someone else; choose your own.</p>
      ) : null}
      <form className="stack-form" onSubmit={onSubmit}>
        <label htmlFor="current">Current password</label>
        <input id="current" name="current" type="password" autoComplete="current-password" required />
        <label htmlFor="new">New password (at least 12 characters)</label>
        <input id="new" name="new" type="password" autoComplete="new-password" minLength={12} required />
        <label htmlFor="confirm">New password again</label>
        <input id="confirm" name="confirm" type="password" autoComplete="new-password" minLength={12} required />
        <button type="submit" disabled={loading}>
          Change password
        </button>
        {message ? (
          <p role={message.ok ? 'status' : 'alert'} className={message.ok ? 'ok' : 'error'}>
            {message.text}
          </p>
        ) : null}
      </form>
    </>
  );
}
