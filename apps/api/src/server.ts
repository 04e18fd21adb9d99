import { createServer as createHttpServer, type Server } from 'node:http';
import express, { type Express } from 'express';
import type { Config } from './config/env.js';
import { errorHandler } from './http/error-handler.js';
import { healthRouter } from './http/health.js';

export interface ServerDeps {
  config: Config;
  version: string;
  pingDatabase(): Promise<void>;
  /** Domain routes (GraphQL, uploads, DICOMweb, frames, exports) mount themselves here. */
  mount?(app: Express): Promise<void> | void;
}

/**
 * The HTTP surface of the API. Kept free of start-up concerns (migrations, listening, signals) so tests build the
 * same app on an ephemeral port.
 */
export async function createServer(deps: ServerDeps): Promise<Express> {
  const app = express();
  app.disable('x-powered-by');
  // Express's req.ip stays the socket peer: the client address (X-Forwarded-For believed only from TRUSTED_PROXIES)
  // is worked out in one place, @ich/config's clientAddress, for the throttle and the audit log alike.
  app.set('trust proxy', false);
  app.use(healthRouter({ version: deps.version, pingDatabase: deps.pingDatabase }));
  await deps.mount?.(app);
  app.use((_req, res) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: 'No such endpoint.' } });
  });
  app.use(errorHandler);
  return app;
}

/** How long a client may take to send its headers, and its whole request (body included). */
export interface HttpTimeouts {
  headersMs: number;
  requestMs: number;
}

/**
 * An HTTP server for the app with bounded slow clients: headers within `headersMs`, the whole request within
 * `requestMs` (Node's defaults hold a trickled body for 300 s), answered 408 and closed otherwise. Connections are
 * checked every second so the limits hold to within a second.
 */
export function httpServerFor(app: Express, timeouts: HttpTimeouts): Server {
  const server = createHttpServer(
    {
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.requestMs,
      connectionsCheckingInterval: 1_000,
    },
    app,
  );
  return server;
}
