#!/usr/bin/env node
// `npm start`: runs the built API (which applies migrations and creates the first admin before listening), the
// inference worker (started once the API is ready, so the database is migrated and MODEL_DIR holds a model: an empty
// one gets the shipped demo model, packages/ml/models/demo, with its ONNX export) and the built web app, as one
// process tree. Ctrl-C / SIGTERM stops them all; if one dies, the others are stopped too.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_NODE_FLAGS, apiUrl, DEFAULTS, webListen } from '@ich/config';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1' };
const apiPort = env.API_PORT || String(DEFAULTS.API_PORT);
const webPort = webListen(env).port;
env.API_URL = apiUrl(env);

const children = [];
let stopping = false;

function run(name, command, args, cwd) {
  // Each child gets its own process group: a terminal's Ctrl-C reaches only this script, which then stops each child
  // exactly once with SIGTERM (a child hit by both would take the second signal as "exit now").
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
  children.push(child);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`[start] ${name} exited (${signal ?? code}); stopping the rest`);
      stop(code === 0 ? 1 : (code ?? 1));
    }
  });
  return child;
}

function stop(exitCode) {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  const force = setTimeout(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  }, 15_000);
  force.unref();
  Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once('exit', r))))).then(() =>
    process.exit(exitCode),
  );
}

process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

run('api', process.execPath, [...API_NODE_FLAGS, path.join(root, 'apps/api/dist/main.js')], root);
// The web app's own server (Next.js + the WebSocket proxy for GraphQL subscriptions).
run('web', process.execPath, [path.join(root, 'apps/web/server.mjs')], path.join(root, 'apps/web'));
console.log(`[start] API on http://127.0.0.1:${apiPort} (GraphQL /graphql), web on http://127.0.0.1:${webPort}`);

/** Resolves once the API answers /readyz (it has migrated the database), or rejects if it stops first. */
async function apiReady() {
  const url = `${env.API_URL}/readyz`;
  while (!stopping) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

apiReady().then(() => {
  if (!stopping) run('worker', process.execPath, [path.join(root, 'apps/api/dist/worker/main.js')], root);
});
