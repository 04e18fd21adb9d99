import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The browser entry must not reach Node APIs: follow every relative import from src/browser/index.ts and check
 * that no module imports a Node builtin (node:fs, zlib, worker_threads, ...) or a Node-only package.
 */
const NODE_ONLY_PACKAGES = ['onnxruntime-node', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'pngjs'];

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [
    ...text.matchAll(/^\s*(?:import|export)\s+(?:type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]/gm),
    ...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g),
  ]
    .filter((m) => !/^\s*(?:import|export)\s+type\s/.test(m[0]))
    .map((m) => m[1] as string);
}

describe('@ich/ml/browser', () => {
  it('imports no Node builtins or Node-only packages, directly or transitively', () => {
    const root = fileURLToPath(new URL('../browser/index.ts', import.meta.url));
    const seen = new Set<string>();
    const offenders: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const spec of importsOf(file)) {
        if (spec.startsWith('.')) {
          visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
        } else {
          const bare = spec.replace(/^node:/, '');
          if (
            spec.startsWith('node:') ||
            builtinModules.includes(bare) ||
            NODE_ONLY_PACKAGES.some((p) => spec === p || spec.startsWith(`${p}/`))
          ) {
            offenders.push(`${file.replace(join(root, '..', '..'), 'src')} imports ${spec}`);
          }
        }
      }
    };
    visit(root);
    expect(seen.size).toBeGreaterThan(10);
    expect(offenders).toEqual([]);
  });
});
