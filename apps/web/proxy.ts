import { type NextRequest, NextResponse } from 'next/server';
import { contentSecurityPolicy } from './src/security-headers';

/**
 * Gives every page request a fresh CSP nonce: Next reads it from the request's Content-Security-Policy header and
 * puts it on the scripts it renders; the same policy goes back on the response.
 */
export function proxy(request: NextRequest) {
  const nonce = btoa(crypto.randomUUID());
  const csp = contentSecurityPolicy(nonce, process.env.NODE_ENV === 'development');
  const headers = new Headers(request.headers);
  headers.set('x-nonce', nonce);
  headers.set('content-security-policy', csp);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set('content-security-policy', csp);
  return response;
}

export const config = {
  // Pages only: the proxied API, frames and static assets do not render HTML.
  matcher: [
    {
      source: '/((?!graphql|api/|dicom-web/|healthz|_next/static|_next/image|favicon.ico).*)',
      missing: [{ type: 'header', key: 'next-router-prefetch' }],
    },
  ],
};
