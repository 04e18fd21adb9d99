import type { Server } from 'node:http';
import { log } from '../log/logger.js';

/**
 * Stops on SIGINT/SIGTERM: stop accepting connections, let in-flight requests finish, then run the cleanups
 * (database pool, workers) in reverse order of start. A second signal, or a stuck cleanup past `graceMs`, exits at once
 * so an operator is never left with a process that ignores Ctrl-C.
 */
export function stopOnSignals(
  server: Server,
  cleanups: Array<() => Promise<void>>,
  {
    graceMs = 10_000,
    signals = ['SIGINT', 'SIGTERM'],
    beforeClose,
  }: {
    graceMs?: number;
    signals?: NodeJS.Signals[];
    /** Runs before the server stops accepting: ends long-lived connections (WebSockets) that would hold close(). */
    beforeClose?: () => Promise<void>;
  } = {},
): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.exit(130);
    }
    stopping = true;
    log.info(`${signal} received, shutting down`);
    const timer = setTimeout(() => {
      log.error('shutdown took too long, exiting');
      process.exit(1);
    }, graceMs);
    timer.unref();
    void Promise.resolve(beforeClose?.())
      .then(() => closeServer(server))
      .then(async () => {
        for (const cleanup of [...cleanups].reverse()) await cleanup();
      })
      .then(
        () => process.exit(0),
        (error: unknown) => {
          log.error('error during shutdown', error);
          process.exit(1);
        },
      );
  };
  for (const signal of signals) process.once(signal, stop);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    // Keep-alive connections with no request in flight would hold close() open until they time out.
    server.closeIdleConnections();
  });
}
