'use client';

import { useApolloClient, useMutation } from '@apollo/client/react';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import type { ReactNode } from 'react';
import { LogoutMutation } from '@/graphql/documents';
import { RequireSession, type SignedInUser, useUser } from '@/session/session';
import { ActiveModelNotice } from './model-notice';

const CLINICAL_LINKS = [
  { href: '/', label: 'Worklist' },
  { href: '/upload', label: 'Upload' },
];
const ADMIN_LINKS = [
  { href: '/admin/users', label: 'Users' },
  { href: '/admin/tokens', label: 'API tokens' },
  { href: '/admin/models', label: 'Models' },
  { href: '/admin/destinations', label: 'Destinations' },
  { href: '/admin/audit', label: 'Audit log' },
];

function linksFor(role: SignedInUser['role']) {
  return role === 'ADMIN' ? [...CLINICAL_LINKS, ...ADMIN_LINKS] : CLINICAL_LINKS;
}

function Header() {
  const user = useUser();
  const pathname = usePathname();
  const client = useApolloClient();
  const [logout] = useMutation(LogoutMutation);
  const signOut = async () => {
    await logout().catch(() => undefined);
    await client.clearStore();
    window.location.assign('/login');
  };
  return (
    <header className="app-header">
      <a className="skip-link" href="#content">
        Skip to content
      </a>
      <span className="brand">ICH triage</span>
      <nav aria-label="Main">
        <ul>
          {linksFor(user.role).map((l) => {
            const current = l.href === '/' ? pathname === '/' : pathname.startsWith(l.href);
            return (
              <li key={l.href}>
                <Link href={l.href} aria-current={current ? 'page' : undefined}>
                  {l.label}
                </Link>
              </li>
            );
          })}
        </ul>
      </nav>
      <div className="user-menu">
        <Link href="/account" aria-current={pathname === '/account' ? 'page' : undefined}>
          {user.name || user.email} ({user.role.toLowerCase()})
        </Link>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </div>
    </header>
  );
}

function PasswordPrompt() {
  const user = useUser();
  const pathname = usePathname();
  if (!user.passwordChangeRequired || pathname === '/account') return null;
  return (
    <p className="notice notice-warn" role="status">
      Your password was set by someone else. <Link href="/account">Choose your own password</Link> now.
    </p>
  );
}

/** The frame of every signed-in page: header, navigation for the user's role, the model's status, the page. */
export function AppShell({ children, only }: { children: ReactNode; only?: SignedInUser['role'] }) {
  // Clinical pages (no role needed) load their data while the session is checked; admin pages wait for the role.
  return (
    <RequireSession
      role={only}
      eager={!only}
      chrome={
        <>
          <Header />
          <div className="banners">
            <PasswordPrompt />
            <ActiveModelNotice />
          </div>
        </>
      }
    >
      <main id="content" tabIndex={-1}>
        {children}
      </main>
    </RequireSession>
  );
}
