/** Liveness of the web app itself (the API has its own /healthz). */
export function GET(): Response {
  return Response.json({ status: 'ok', app: 'web' });
}

export const dynamic = 'force-dynamic';
