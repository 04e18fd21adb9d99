import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The active model's folder under the data directory: <data>/models/current, for the CLI and the product alike. */
export const DEFAULT_MODEL_NAME = 'current';

/**
 * The demo model kept in the repository (packages/ml/models/demo: float16 tfjs weights and card, no ONNX). It is
 * installed into the model directory when that has no model yet (ensureModelDir). Two levels up from both src/model
 * and dist/model.
 */
export function shippedModelDir(): string {
  return fileURLToPath(new URL('../../models/demo', import.meta.url));
}

/**
 * The model directory, one rule for `ich-ml`, the API and the worker: an explicit argument, else MODEL_DIR, else
 * `<data>/models/current`, where <data> is ICH_DATA_DIR or `data` at the root of the workspace that contains the
 * working directory (so `ich-ml` run from packages/ml and `npm start` at the root agree). Relative paths resolve
 * against the working directory.
 */
export function resolveModelDir(explicit?: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  if (explicit) return resolve(cwd, explicit);
  if (env.MODEL_DIR) return resolve(cwd, env.MODEL_DIR);
  const dataDir = env.ICH_DATA_DIR ? resolve(cwd, env.ICH_DATA_DIR) : join(workspaceRoot(cwd), 'data');
  return join(dataDir, 'models', DEFAULT_MODEL_NAME);
}

function workspaceRoot(start: string): string {
  let dir = resolve(start);
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { workspaces?: unknown }).workspaces) return dir;
      } catch {
        // An unreadable package.json is not a workspace root; keep walking up.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return resolve(start);
    dir = parent;
  }
}
