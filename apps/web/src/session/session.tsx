'use client';

import { useQuery } from '@apollo/client/react';
import { usePathname, useRouter } from 'next/navigation';
import { createContext, type ReactNode, useContext, useEffect } from 'react';
import { MeQuery } from '@/graphql/documents';
import type { MeQuery as MeResult } from '@/graphql/generated/graphql';
import { loginHref } from './return-to';

export type SignedInUser = NonNullable<MeResult['me']>;

const SessionContext = createContext<SignedInUser | null>(null);

/** The signed-in user; only for components under <RequireSession> once the session is known. */
export function useUser(): SignedInUser {
  const user = useContext(SessionContext);
  if (!user) throw new Error('useUser outside <RequireSession>');
  return user;
}

/** The signed-in user, or null while <RequireSession> is still checking the session. */
export function useOptionalUser(): SignedInUser | null {
  return useContext(SessionContext);
}

/**
 * Renders its children only for a signed-in user (and, with `role`, only for that role). Without a session the
 * browser goes to /login and returns here afterwards; a user without the role sees a plain refusal (the API refuses
 * the operations too: this is navigation, not the security boundary).
 *
 * With `eager`, the children render while the session is being checked, so their own queries (the worklist, a study)
 * run in parallel with `me` instead of after it; the API answers them only for a valid session, and an
 * UNAUTHENTICATED answer sends the browser to /login as usual. `chrome` renders only once the user is known.
 */
export function RequireSession({
  children,
  role,
  eager = false,
  chrome,
}: {
  children: ReactNode;
  role?: SignedInUser['role'];
  eager?: boolean;
  chrome?: ReactNode;
}) {
  const { data, loading, error } = useQuery(MeQuery, { fetchPolicy: 'network-only' });
  const router = useRouter();
  const pathname = usePathname();
  const me = data?.me ?? null;
  useEffect(() => {
    if (!loading && !error && data && !me) router.replace(loginHref(window.location));
  }, [loading, error, data, me, router]);
  if (error)
    return (
      <main>
        <p role="alert">Cannot reach the server: {error.message}</p>
      </main>
    );
  if (!me)
    return eager && !role ? (
      // Same shape as the signed-in tree below (an empty slot where the chrome goes), so the page is not remounted.
      <SessionContext.Provider value={null}>
        {null}
        {children}
      </SessionContext.Provider>
    ) : (
      <main aria-busy="true">
        <p>Checking your session…</p>
      </main>
    );
  if (role && me.role !== role)
    return (
      <SessionContext.Provider value={me}>
        <main>
          <h1>Not allowed</h1>
          <p role="alert">
            {pathname} is for {role.toLowerCase()}s only. You are signed in as {me.email} ({me.role.toLowerCase()}).
          </p>
        </main>
      </SessionContext.Provider>
    );
  return (
    <SessionContext.Provider value={me}>
      {chrome}
      {children}
    </SessionContext.Provider>
  );
}
