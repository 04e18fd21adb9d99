import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** Where models live by default: data/models/<name> under the repository (git-ignored). */
export const DEFAULT_MODEL_NAME = 'default';

/**
 * The model directory to use: an explicit argument, else MODEL_DIR, else `data/models/default` at the root of the
 * workspace that contains the working directory (so `ich-ml` run from packages/ml and `npm start` at the root agree).
 */
export function resolveModelDir(explicit?: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  if (explicit) return resolve(cwd, explicit);
  if (env.MODEL_DIR) return resolve(cwd, env.MODEL_DIR);
  return join(workspaceRoot(cwd), 'data', 'models', DEFAULT_MODEL_NAME);
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
