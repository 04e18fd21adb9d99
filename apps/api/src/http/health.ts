import { Router } from 'express';

export interface HealthDeps {
  version: string;
  /** Resolves when the database answers; rejects otherwise. */
  pingDatabase(): Promise<void>;
}

/**
 * `/healthz` is liveness (the process serves HTTP) and never touches the database, so an orchestrator does not
 * restart a healthy API because PostgreSQL blinked. `/readyz` is readiness: it answers 503 until the database does.
 */
export function healthRouter(deps: HealthDeps): Router {
  const router = Router();
  const startedAt = Date.now();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', version: deps.version, uptimeSeconds: Math.round((Date.now() - startedAt) / 1000) });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      await deps.pingDatabase();
      res.json({ status: 'ready', database: 'ok' });
    } catch {
      res.status(503).json({ status: 'unavailable', database: 'unreachable', code: 'DATABASE_ERROR' });
    }
  });
  return router;
}
