import 'server-only';
import { apiUrl } from '@ich/config';
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
  // Next answers `Expect: 100-continue` itself; fetch refuses to send the header (it failed every such request).
  'expect',
]);

const MIB = 1024 * 1024;

/**
 * The largest body forwarded per path: GraphQL requests are small (the API takes 100 kB), uploads and DICOMweb STOW
 * are bounded by MAX_UPLOAD_MB like in the API. Larger declared bodies get 413 before a byte is read; a body without
 * a length is counted as it streams and cut off at the limit.
 */
function bodyLimit(pathname: string): number {
  if (pathname === '/graphql') return 100 * 1024;
  return Number(process.env.MAX_UPLOAD_MB ?? '1024') * MIB;
}

function tooLarge(limit: number): Response {
  return Response.json(
    { error: { code: 'PAYLOAD_TOO_LARGE', message: `The request is too large (at most ${limit} bytes here).` } },
    { status: 413 },
  );
}

/** Passes a body through, failing the stream (so the upstream request aborts) once it exceeds `limit` bytes. */
function capped(body: ReadableStream<Uint8Array>, limit: number, exceeded: { value: boolean }) {
  let seen = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > limit) {
          exceeded.value = true;
          controller.error(new Error('body over the limit'));
          return;
        }
        controller.enqueue(chunk);
      },
    }),
  );
}

const rewrite = installClientAddressRewrite();

export async function forwardToApi(request: Request): Promise<Response> {
  const incoming = new URL(request.url);
  const target = `${apiUrl()}${incoming.pathname}${incoming.search}`;
  const headers = new Headers();
  request.headers.forEach((value, name) => {
    if (!HOP_BY_HOP.has(name) && name !== REWRITTEN) headers.set(name, value);
  });
  if (request.headers.get(REWRITTEN) !== rewrite.nonce) headers.delete('x-forwarded-for');
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD' && request.body !== null;
  const limit = bodyLimit(incoming.pathname);
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (hasBody && declared > limit) return tooLarge(limit);
  const exceeded = { value: false };
  let upstream: Response;
  try {
    upstream = await fetch(target, {
      method: request.method,
      headers,
      body: hasBody && request.body ? capped(request.body, limit, exceeded) : undefined,
      redirect: 'manual',
      // Streams uploads through instead of buffering them in memory.
      ...(hasBody ? { duplex: 'half' } : {}),
    } as RequestInit);
  } catch {
    if (exceeded.value) return tooLarge(limit);
    return Response.json(
      { error: { code: 'API_UNREACHABLE', message: 'The API is not reachable; try again shortly.' } },
      { status: 502 },
    );
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
