'use client';

import { useMutation, useQuery } from '@apollo/client/react';
import { type FormEvent, useState } from 'react';
import { formatTime } from '@/components/format';
import {
  CreateDestinationMutation,
  DeleteDestinationMutation,
  DestinationsQuery,
  TestDestinationMutation,
  UpdateDestinationMutation,
} from '@/graphql/documents';
import type { DestinationInput, DestinationsQuery as DestinationsData } from '@/graphql/generated/graphql';

type Destination = DestinationsData['destinations'][number];
type Kind = 'DICOMWEB' | 'DIMSE';
type Auth = 'NONE' | 'BASIC' | 'BEARER';

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));
const text = (form: FormData, name: string) => String(form.get(name) ?? '').trim();

/** The form's fields as a DestinationInput; the secret only when typed (empty keeps the stored one). */
function inputFrom(form: FormData, kind: Kind): DestinationInput {
  const common = {
    name: text(form, 'name'),
    kind,
    enabled: form.get('enabled') === 'on',
    autoSend: form.get('autoSend') === 'on',
  };
  if (kind === 'DICOMWEB') {
    const secret = text(form, 'secret');
    const authType = text(form, 'authType') as Auth;
    return {
      ...common,
      url: text(form, 'url'),
      authType,
      username: authType === 'BASIC' ? text(form, 'username') : null,
      ...(authType === 'NONE' ? { secret: '' } : secret ? { secret } : {}),
    };
  }
  return {
    ...common,
    host: text(form, 'host'),
    port: Number(text(form, 'port')),
    calledAet: text(form, 'calledAet'),
    callingAet: text(form, 'callingAet') || null,
  };
}

function endpoint(d: Destination): string {
  return d.kind === 'DICOMWEB' ? (d.url ?? '') : `${d.calledAet ?? ''}@${d.host ?? ''}:${d.port ?? ''}`;
}

function DestinationForm({
  editing,
  busy,
  onSubmit,
  onCancel,
}: {
  editing: Destination | null;
  busy: boolean;
  onSubmit: (input: DestinationInput) => Promise<void>;
  onCancel: () => void;
}) {
  const [kind, setKind] = useState<Kind>((editing?.kind as Kind | undefined) ?? 'DICOMWEB');
  const [auth, setAuth] = useState<Auth>((editing?.authType as Auth | undefined) ?? 'NONE');
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    await onSubmit(inputFrom(new FormData(event.currentTarget), kind));
  };
  return (
    <form className="inline-form" onSubmit={submit} data-testid="destination-form">
      <div>
        <label htmlFor="d-name">Name</label>
        <input id="d-name" name="name" required maxLength={100} defaultValue={editing?.name ?? ''} />
      </div>
      <div>
        <label htmlFor="d-kind">Protocol</label>
        <select id="d-kind" value={kind} onChange={(e) => setKind(e.target.value as Kind)}>
          <option value="DICOMWEB">DICOMweb STOW-RS</option>
          <option value="DIMSE">DIMSE C-STORE</option>
        </select>
      </div>
      {kind === 'DICOMWEB' ? (
        <>
          <div>
            <label htmlFor="d-url">DICOMweb root URL</label>
            <input
              id="d-url"
              name="url"
              type="url"
              required
              placeholder="https://pacs.example.org/dicom-web"
              defaultValue={editing?.url ?? ''}
            />
          </div>
          <div>
            <label htmlFor="d-auth">Authentication</label>
            <select id="d-auth" name="authType" value={auth} onChange={(e) => setAuth(e.target.value as Auth)}>
              <option value="NONE">none</option>
              <option value="BASIC">Basic</option>
              <option value="BEARER">Bearer token</option>
            </select>
          </div>
          {auth === 'BASIC' ? (
            <div>
              <label htmlFor="d-user">Username</label>
              <input id="d-user" name="username" required defaultValue={editing?.username ?? ''} />
            </div>
          ) : null}
          {auth !== 'NONE' ? (
            <div>
              <label htmlFor="d-secret">{auth === 'BASIC' ? 'Password' : 'Token'}</label>
              {/* Write-only: the stored secret is never sent to the browser. */}
              <input
                id="d-secret"
                name="secret"
                type="password"
                autoComplete="new-password"
                required={!editing?.hasSecret}
                placeholder={editing?.hasSecret ? 'stored (leave empty to keep)' : ''}
              />
            </div>
          ) : null}
        </>
      ) : (
        <>
          <div>
            <label htmlFor="d-host">Host</label>
            <input id="d-host" name="host" required defaultValue={editing?.host ?? ''} />
          </div>
          <div>
            <label htmlFor="d-port">Port</label>
            <input
              id="d-port"
              name="port"
              type="number"
              min={1}
              max={65535}
              required
              defaultValue={editing?.port ?? 104}
            />
          </div>
          <div>
            <label htmlFor="d-called">Called AE title</label>
            <input id="d-called" name="calledAet" required maxLength={16} defaultValue={editing?.calledAet ?? ''} />
          </div>
          <div>
            <label htmlFor="d-calling">Calling AE title</label>
            <input
              id="d-calling"
              name="callingAet"
              maxLength={16}
              placeholder="ICH_TRIAGE"
              defaultValue={editing?.callingAet ?? ''}
            />
          </div>
        </>
      )}
      <label>
        <input type="checkbox" name="enabled" defaultChecked={editing?.enabled ?? true} /> Enabled
      </label>
      <label>
        <input type="checkbox" name="autoSend" defaultChecked={editing?.autoSend ?? false} /> Send results automatically
      </label>
      <button type="submit" disabled={busy}>
        {editing ? 'Save' : 'Add destination'}
      </button>
      {editing ? (
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      ) : null}
    </form>
  );
}

/** Admin page: PACS destinations for result objects, their connection tests, and sends that failed for good. */
export function DestinationsAdmin() {
  const { data, loading, error } = useQuery(DestinationsQuery, { pollInterval: 10_000 });
  const refetch = { refetchQueries: [DestinationsQuery] };
  const [create, creating] = useMutation(CreateDestinationMutation, refetch);
  const [update, updating] = useMutation(UpdateDestinationMutation, refetch);
  const [remove] = useMutation(DeleteDestinationMutation, refetch);
  const [test] = useMutation(TestDestinationMutation);
  const [editing, setEditing] = useState<Destination | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [testing, setTesting] = useState<string | null>(null);

  const save = async (input: DestinationInput) => {
    try {
      if (editing) await update({ variables: { id: editing.id, input } });
      else await create({ variables: { input } });
      setMessage({ ok: true, text: `Saved ${input.name}.` });
      setEditing(null);
    } catch (e) {
      setMessage({ ok: false, text: errorText(e) });
    }
  };
  const runTest = async (d: Destination) => {
    setTesting(d.id);
    try {
      const r = await test({ variables: { id: d.id } });
      const check = r.data?.testDestination;
      if (check) setMessage({ ok: check.ok, text: `${d.name}: ${check.message} (${check.durationMs} ms)` });
    } catch (e) {
      setMessage({ ok: false, text: errorText(e) });
    } finally {
      setTesting(null);
    }
  };

  return (
    <>
      <h1>Destinations</h1>
      <p>
        Where the product sends each analysis' DICOM SR and summary image (PACS over DICOMweb STOW-RS or DIMSE C-STORE).
        Failed sends are retried with backoff; after the last attempt they are listed below.
      </p>
      {message ? (
        <p role={message.ok ? 'status' : 'alert'} className={message.ok ? 'ok' : 'error'} data-testid="message">
          {message.text}
        </p>
      ) : null}
      <section className="panel" aria-labelledby="destination-form-heading">
        <h2 id="destination-form-heading">{editing ? `Edit ${editing.name}` : 'New destination'}</h2>
        <DestinationForm
          key={editing?.id ?? 'new'}
          editing={editing}
          busy={creating.loading || updating.loading}
          onSubmit={save}
          onCancel={() => setEditing(null)}
        />
      </section>
      {error ? <p role="alert">Could not load destinations: {error.message}</p> : null}
      {loading && !data ? <p aria-busy="true">Loading destinations…</p> : null}
      {data && data.destinations.length === 0 ? <p className="empty">No destinations yet.</p> : null}
      {data && data.destinations.length > 0 ? (
        <table className="data">
          <caption className="visually-hidden">Destinations</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Protocol</th>
              <th scope="col">Endpoint</th>
              <th scope="col">State</th>
              <th scope="col">Queued / sending / sent / failed</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {data.destinations.map((d) => (
              <tr key={d.id} data-destination-name={d.name}>
                <td>{d.name}</td>
                <td>
                  {d.kind === 'DICOMWEB' ? `STOW-RS${d.authType === 'NONE' ? '' : ` (${d.authType})`}` : 'C-STORE'}
                </td>
                <td>
                  <code>{endpoint(d)}</code>
                </td>
                <td>
                  {d.enabled ? 'enabled' : 'disabled'}
                  {d.autoSend ? ', auto-send' : ''}
                </td>
                <td>
                  {d.sendCounts.queued} / {d.sendCounts.sending} / {d.sendCounts.sent} / {d.sendCounts.failed}
                </td>
                <td>
                  <button type="button" onClick={() => setEditing(d)}>
                    Edit
                  </button>
                  <button type="button" disabled={testing === d.id} onClick={() => runTest(d)}>
                    {testing === d.id ? 'Testing…' : 'Test connection'}
                  </button>
                  <button
                    type="button"
                    onClick={async () => {
                      if (!window.confirm(`Delete ${d.name} and its send records?`)) return;
                      try {
                        await remove({ variables: { id: d.id } });
                      } catch (e) {
                        setMessage({ ok: false, text: errorText(e) });
                      }
                    }}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <section aria-labelledby="failures-heading">
        <h2 id="failures-heading">Failed sends</h2>
        {data && data.failedSends.length === 0 ? <p className="empty">No failed sends.</p> : null}
        {data && data.failedSends.length > 0 ? (
          <table className="data" data-testid="failed-sends">
            <thead>
              <tr>
                <th scope="col">Destination</th>
                <th scope="col">Study</th>
                <th scope="col">SOP Instance UID</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last error</th>
                <th scope="col">Queued</th>
              </tr>
            </thead>
            <tbody>
              {data.failedSends.map((s) => (
                <tr key={s.id}>
                  <td>{s.destination.name}</td>
                  <td>
                    <a href={`/studies/${s.studyId}`}>{s.studyId}</a>
                  </td>
                  <td>
                    <code>{s.sopInstanceUid}</code>
                  </td>
                  <td>{s.attempts}</td>
                  <td>
                    {s.lastErrorCode}: {s.lastError}
                  </td>
                  <td>{formatTime(s.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
    </>
  );
}
