import { parseCookie, stringifySetCookie } from 'cookie';

export const SESSION_COOKIE = 'ich_session';

/**
 * The browser's session cookie: httpOnly so page scripts (or an XSS) cannot read it; SameSite=Lax so other sites
 * cannot make the browser send it with their POSTs (together with Apollo's preflight requirement this is the CSRF
 * defence); Secure in production, where the API sits behind HTTPS.
 */
export function sessionCookie(token: string, expiresAt: Date, secure: boolean): string {
  return stringifySetCookie({
    name: SESSION_COOKIE,
    value: token,
    expires: expiresAt,
    httpOnly: true,
    sameSite: 'lax',
    secure,
    path: '/',
  });
}

export function clearedSessionCookie(secure: boolean): string {
  return stringifySetCookie({
    name: SESSION_COOKIE,
    value: '',
    expires: new Date(0),
    maxAge: 0,
    httpOnly: true,
    sameSite: 'lax',
    secure,
    path: '/',
  });
}

/**
 * The secret a request presents: `Authorization: Bearer <token>` (clients) wins over the cookie (browsers).
 * A malformed Authorization header counts as a presented-but-bad secret rather than falling back to the cookie.
 */
export function presentedSecret(headers: {
  authorization?: string | undefined;
  cookie?: string | undefined;
}): string | null {
  const auth = headers.authorization;
  if (auth !== undefined && auth !== '') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return match?.[1] ?? auth;
  }
  if (!headers.cookie) return null;
  return parseCookie(headers.cookie)[SESSION_COOKIE] ?? null;
}
