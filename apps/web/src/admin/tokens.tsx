'use client';

import { useMutation, useQuery } from '@apollo/client/react';
import { type FormEvent, useState } from 'react';
import { formatTime } from '@/components/format';
import { ApiTokensQuery, CreateApiTokenMutation, RevokeApiTokenMutation, UsersQuery } from '@/graphql/documents';

const SCOPES = ['read:studies', 'write:studies', 'write:uploads', 'admin', 'read:audit'] as const;
const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

export function TokensAdmin() {
  const { data, loading, error } = useQuery(ApiTokensQuery);
  const users = useQuery(UsersQuery);
  const [create, creating] = useMutation(CreateApiTokenMutation, { refetchQueries: [ApiTokensQuery] });
  const [revoke] = useMutation(RevokeApiTokenMutation, { refetchQueries: [ApiTokensQuery] });
  const [secret, setSecret] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  const onCreate = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const formEl = event.currentTarget;
    const form = new FormData(formEl);
    const scopes = form.getAll('scopes').map(String);
    const owner = String(form.get('owner') ?? '');
    try {
      const result = await create({
        variables: {
          input: {
            name: String(form.get('name')),
            scopes,
            expiresInDays: Number(form.get('days')) || 90,
            ...(owner ? { userId: owner } : {}),
          },
        },
      });
      setSecret(result.data?.createApiToken.token ?? null);
      setCopied(false);
      setMessage(null);
      formEl.reset();
    } catch (e) {
      setMessage({ ok: false, text: errorText(e) });
    }
  };
  const copy = async () => {
    if (!secret) return;
    try {
      await navigator.clipboard.writeText(secret);
      setCopied(true);
    } catch {
      setMessage({ ok: false, text: 'The browser refused the clipboard; select the token and copy it by hand.' });
    }
  };

  return (
    <>
      <h1>API tokens</h1>
      {message ? (
        <p role={message.ok ? 'status' : 'alert'} className={message.ok ? 'ok' : 'error'}>
          {message.text}
        </p>
      ) : null}
      {secret ? (
        <section className="panel secret" aria-labelledby="secret-heading">
          <h2 id="secret-heading">New token: shown only now</h2>
          <p>Copy it into the client that will use it; it cannot be shown again.</p>
          <label htmlFor="secret">Token</label>
          <input id="secret" readOnly value={secret} data-testid="new-token" onFocus={(e) => e.target.select()} />
          <button type="button" onClick={copy}>
            {copied ? 'Copied' : 'Copy'}
          </button>
          <button type="button" onClick={() => setSecret(null)}>
            Done
          </button>
        </section>
      ) : null}
      <section className="panel" aria-labelledby="new-token-heading">
        <h2 id="new-token-heading">New token</h2>
        <form className="inline-form" onSubmit={onCreate}>
          <div>
            <label htmlFor="t-name">Name</label>
            <input id="t-name" name="name" required maxLength={200} />
          </div>
          <div>
            <label htmlFor="t-owner">Owner</label>
            <select id="t-owner" name="owner" defaultValue="">
              <option value="">me</option>
              {users.data?.users.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.email}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="t-days">Expires in days</label>
            <input id="t-days" name="days" type="number" min={1} max={365} defaultValue={90} />
          </div>
          <fieldset>
            <legend>Scopes</legend>
            {SCOPES.map((s) => (
              <label key={s}>
                <input type="checkbox" name="scopes" value={s} defaultChecked={s === 'read:studies'} /> {s}
              </label>
            ))}
          </fieldset>
          <button type="submit" disabled={creating.loading}>
            Create token
          </button>
        </form>
      </section>
      {error ? <p role="alert">Could not load tokens: {error.message}</p> : null}
      {loading && !data ? <p aria-busy="true">Loading tokens…</p> : null}
      {data && data.apiTokens.length === 0 ? <p className="empty">No tokens yet.</p> : null}
      {data && data.apiTokens.length > 0 ? (
        <table className="data">
          <caption className="visually-hidden">API tokens</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Prefix</th>
              <th scope="col">Owner</th>
              <th scope="col">Scopes</th>
              <th scope="col">Expires</th>
              <th scope="col">Last used</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {data.apiTokens.map((t) => (
              <tr key={t.id} data-token-name={t.name}>
                <td>{t.name}</td>
                <td>
                  <code>{t.prefix}…</code>
                </td>
                <td>{t.owner.email}</td>
                <td>{t.scopes.join(', ')}</td>
                <td>{formatTime(t.expiresAt)}</td>
                <td>{formatTime(t.lastUsedAt)}</td>
                <td>
                  {t.revokedAt ? (
                    `revoked ${formatTime(t.revokedAt)}`
                  ) : (
                    <button
                      type="button"
                      onClick={async () => {
                        if (!window.confirm(`Revoke the token "${t.name}"? Clients using it stop working at once.`))
                          return;
                        try {
                          await revoke({ variables: { id: t.id } });
                          setMessage({ ok: true, text: `Token "${t.name}" revoked.` });
                        } catch (e) {
                          setMessage({ ok: false, text: errorText(e) });
                        }
                      }}
                    >
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}
