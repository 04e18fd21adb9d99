'use client';

import { useMutation, useQuery } from '@apollo/client/react';
import { type FormEvent, useState } from 'react';
import { formatTime } from '@/components/format';
import { CreateUserMutation, ResetPasswordMutation, UpdateUserMutation, UsersQuery } from '@/graphql/documents';
import type { Role } from '@/graphql/generated/graphql';
import { useUser } from '@/session/session';

function Message({ value }: { value: { ok: boolean; text: string } | null }) {
  if (!value) return null;
  return (
    <p role={value.ok ? 'status' : 'alert'} className={value.ok ? 'ok' : 'error'}>
      {value.text}
    </p>
  );
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

export function UsersAdmin() {
  const me = useUser();
  const { data, loading, error } = useQuery(UsersQuery);
  const [createUser, creating] = useMutation(CreateUserMutation, { refetchQueries: [UsersQuery] });
  const [updateUser] = useMutation(UpdateUserMutation, { refetchQueries: [UsersQuery] });
  const [resetPassword] = useMutation(ResetPasswordMutation);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  const onCreate = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const formEl = event.currentTarget;
    const form = new FormData(formEl);
    try {
      await createUser({
        variables: {
          input: {
            email: String(form.get('email')),
            name: String(form.get('name') ?? ''),
            role: String(form.get('role')) as Role,
            password: String(form.get('password')),
          },
        },
      });
      setMessage({
        ok: true,
        text: `Created ${String(form.get('email'))}. They will be asked to change the password.`,
      });
      formEl.reset();
    } catch (e) {
      setMessage({ ok: false, text: errorText(e) });
    }
  };
  const act = async (what: string, run: () => Promise<unknown>) => {
    try {
      await run();
      setMessage({ ok: true, text: what });
    } catch (e) {
      setMessage({ ok: false, text: errorText(e) });
    }
  };
  const onReset = (id: string, email: string) => {
    const password = window.prompt(`New temporary password for ${email} (at least 12 characters):`);
    if (password)
      void act(`Password reset for ${email}; their sessions ended.`, () =>
        resetPassword({ variables: { id, password } }),
      );
  };

  return (
    <>
      <h1>Users</h1>
      <Message value={message} />
      <section className="panel" aria-labelledby="new-user">
        <h2 id="new-user">New user</h2>
        <form className="inline-form" onSubmit={onCreate}>
          <div>
            <label htmlFor="u-email">Email</label>
            <input id="u-email" name="email" type="email" required />
          </div>
          <div>
            <label htmlFor="u-name">Name</label>
            <input id="u-name" name="name" />
          </div>
          <div>
            <label htmlFor="u-role">Role</label>
            <select id="u-role" name="role" defaultValue="CLINICIAN">
              <option value="CLINICIAN">clinician</option>
              <option value="ADMIN">admin</option>
            </select>
          </div>
          <div>
            <label htmlFor="u-password">Temporary password</label>
            <input
              id="u-password"
              name="password"
              type="password"
              minLength={12}
              autoComplete="new-password"
              required
            />
          </div>
          <button type="submit" disabled={creating.loading}>
            Create user
          </button>
        </form>
      </section>
      {error ? <p role="alert">Could not load users: {error.message}</p> : null}
      {loading && !data ? <p aria-busy="true">Loading users…</p> : null}
      {data ? (
        <table className="data">
          <caption className="visually-hidden">Users</caption>
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Active</th>
              <th scope="col">Last sign-in</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {data.users.map((u) => (
              <tr key={u.id}>
                <td>{u.email}</td>
                <td>{u.name}</td>
                <td>
                  <label className="visually-hidden" htmlFor={`role-${u.id}`}>
                    Role of {u.email}
                  </label>
                  <select
                    id={`role-${u.id}`}
                    value={u.role}
                    disabled={u.id === me.id}
                    onChange={(e) =>
                      act(`Role of ${u.email} changed.`, () =>
                        updateUser({ variables: { id: u.id, input: { role: e.target.value as Role } } }),
                      )
                    }
                  >
                    <option value="CLINICIAN">clinician</option>
                    <option value="ADMIN">admin</option>
                  </select>
                </td>
                <td>{u.active ? 'yes' : 'deactivated'}</td>
                <td>{formatTime(u.lastLoginAt)}</td>
                <td className="actions">
                  {u.id === me.id ? (
                    <span className="muted">you</span>
                  ) : (
                    <>
                      <button
                        type="button"
                        onClick={() =>
                          act(`${u.email} ${u.active ? 'deactivated' : 'reactivated'}.`, () =>
                            updateUser({ variables: { id: u.id, input: { active: !u.active } } }),
                          )
                        }
                      >
                        {u.active ? 'Deactivate' : 'Reactivate'}
                      </button>
                      <button type="button" onClick={() => onReset(u.id, u.email)}>
                        Reset password
                      </button>
                    </>
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
