import cluster, { type Worker } from 'node:cluster';
import { log } from '../log/logger.js';

/**
 * The primary of a multi-process API (API_WORKERS > 1): forks the workers, which share the listening port, replaces
 * one that dies, and on SIGINT/SIGTERM stops them all and exits once they have finished their in-flight requests.
 * A worker that keeps dying (5 deaths within a minute) stops the whole API rather than crash-looping silently.
 */
export function superviseWorkers(count: number): void {
  let stopping = false;
  let exitCode = 0;
  const deaths: number[] = [];
  const fork = (): Worker => cluster.fork();

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(exitCode);
      return;
    }
    const now = Date.now();
    deaths.push(now);
    while (deaths.length > 0 && (deaths[0] ?? now) < now - 60_000) deaths.shift();
    if (deaths.length >= 5) {
      log.error(`worker ${worker.process.pid} exited (${signal ?? code}); 5 deaths within a minute, stopping`);
      stop(1);
      return;
    }
    log.warn(`worker ${worker.process.pid} exited (${signal ?? code}); starting a replacement`);
    fork();
  });

  const stop = (code: number) => {
    stopping = true;
    exitCode = code;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    if (workers.length === 0) process.exit(code);
    for (const worker of workers) worker.process.kill('SIGTERM');
    // Workers bound their own shutdown (stopOnSignals); this is the backstop for one that hangs.
    setTimeout(() => process.exit(code === 0 ? 1 : code), 15_000).unref();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    log.info(`${signal} received, stopping ${count} workers`);
    stop(0);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  for (let i = 0; i < count; i += 1) fork();
}
