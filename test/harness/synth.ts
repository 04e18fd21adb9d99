import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './product.js';

/**
 * One synthetic study written by the product's own CLI (`ich-ml synth`, as a user would make test data) under `out`:
 * its folder and its .dcm files, sorted by name.
 *
 * Asynchronous on purpose: a test that blocked its event loop here for seconds, after talking to a running product,
 * would come back to a pooled keep-alive socket the server had closed meanwhile, with the close not yet seen, and
 * its next POST would fail with "other side closed" (a CI failure in web-scale before this was async).
 */
export async function synthStudyFiles(
  out: string,
  options: { slices: number; size: number; bleed: string; seed?: string },
): Promise<{ studyDir: string; files: string[] }> {
  const args = ['synth', '--out', out, '--studies', '1', '--slices', String(options.slices)];
  args.push('--size', String(options.size), '--bleed', options.bleed);
  if (options.seed !== undefined) args.push('--seed', options.seed);
  await promisify(execFile)(process.execPath, [path.join(repoRoot, 'packages/ml/bin/ich-ml.js'), ...args]);
  const study = readdirSync(out, { withFileTypes: true }).find((d) => d.isDirectory());
  if (!study) throw new Error(`ich-ml synth wrote no study under ${out}`);
  const studyDir = path.join(out, study.name);
  const files = readdirSync(studyDir)
    .filter((f) => f.endsWith('.dcm'))
    .sort()
    .map((f) => path.join(studyDir, f));
  return { studyDir, files };
}
