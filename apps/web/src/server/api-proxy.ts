import 'server-only';
import { installClientAddressRewrite, REWRITTEN } from './client-address';

/**
 * The browser talks only to the web origin; /graphql, /api/* and /dicom-web/* are forwarded to the API here, at
 * request time, so the session cookie stays first-party (SameSite works, no CORS in the default setup) and the API's
 * address is runtime configuration (API_URL), not something baked into the build.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authorization',
  'proxy-authenticate',
  'host',
]);

const rewrite = installClientAddressRewrite();

function apiBase(): string {
  return (process.env.API_URL ?? `http://127.0.0.1:${process.env.API_PORT ?? '4000'}`).replace(/\/$/, '');
}

export async function forwardToApi(request: Request): Promise<Response> {
  const incoming = new URL(request.url);
  const target = `${apiBase()}${incoming.pathname}${incoming.search}`;
  const headers = new Headers();
  request.headers.forEach((value, name) => {
    if (!HOP_BY_HOP.has(name) && name !== REWRITTEN) headers.set(name, value);
  });
  if (request.headers.get(REWRITTEN) !== rewrite.nonce) headers.delete('x-forwarded-for');
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
  let upstream: Response;
  try {
    upstream = await fetch(target, {
      method: request.method,
      headers,
      body: hasBody ? request.body : undefined,
      redirect: 'manual',
      // Streams uploads through instead of buffering them in memory.
      ...(hasBody ? { duplex: 'half' } : {}),
    } as RequestInit);
  } catch {
    return Response.json({ error: { code: 'DATABASE_ERROR', message: 'The API is not reachable.' } }, { status: 502 });
  }
  const out = new Headers();
  upstream.headers.forEach((value, name) => {
    // fetch already decoded the body, so the upstream length/encoding no longer describe it.
    if (!HOP_BY_HOP.has(name) && name !== 'content-encoding' && name !== 'content-length' && name !== 'set-cookie')
      out.set(name, value);
  });
  for (const cookie of upstream.headers.getSetCookie()) out.append('set-cookie', cookie);
  return new Response(upstream.body, { status: upstream.status, statusText: upstream.statusText, headers: out });
}
