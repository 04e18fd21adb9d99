/**
 * Where to go after signing in. Only a same-origin path is accepted, so a crafted `?next=https://evil.example`
 * cannot turn the login page into an open redirect.
 */
export function safeReturnPath(next: string | null | undefined): string {
  if (typeof next !== 'string' || !/^\/(?![/\\])/.test(next)) return '/';
  if (next.startsWith('/login')) return '/';
  return next;
}

export function loginHref(location: { pathname: string; search: string }): string {
  const here = `${location.pathname}${location.search}`;
  return here === '/' ? '/login' : `/login?next=${encodeURIComponent(here)}`;
}
