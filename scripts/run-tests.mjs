#!/usr/bin/env node
// The README's test command. Runs every workspace's test tiers through turbo, then sums the JSON reports each
// vitest tier writes to <workspace>/.reports/<tier>.json and ends with one line `N passed, N failed, N skipped`
// (turbo's own summary would otherwise hide the runners' counts). Exits non-zero on any failure.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const rootPackage = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

function workspaceDirs() {
  const dirs = [];
  for (const pattern of rootPackage.workspaces) {
    if (pattern.endsWith('/*')) {
      const parent = path.join(root, pattern.slice(0, -2));
      if (!existsSync(parent)) continue;
      for (const entry of readdirSync(parent, { withFileTypes: true })) {
        if (entry.isDirectory() && existsSync(path.join(parent, entry.name, 'package.json')))
          dirs.push(path.join(parent, entry.name));
      }
    } else if (existsSync(path.join(root, pattern, 'package.json'))) {
      dirs.push(path.join(root, pattern));
    }
  }
  return dirs;
}

const workspaces = workspaceDirs();
for (const dir of workspaces) rmSync(path.join(dir, '.reports'), { recursive: true, force: true });

const extra = process.argv.slice(2);
// --continue: every tier runs and reports even when an earlier one fails, so the count is the whole suite's.
const turbo = spawnSync(
  'npx',
  ['turbo', 'run', 'test', '--concurrency=2', '--continue', '--output-logs=full', ...extra],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', NEXT_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' },
  },
);

let passed = 0;
let failed = 0;
let skipped = 0;
const rows = [];
for (const dir of workspaces) {
  const reports = path.join(dir, '.reports');
  if (!existsSync(reports)) continue;
  for (const file of readdirSync(reports)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const report = JSON.parse(readFileSync(path.join(reports, file), 'utf8'));
    const p = report.numPassedTests ?? 0;
    // A file that fails to load, or a failing beforeAll, fails the run with no failed test (its tests show as
    // skipped); count such a run as one failure so it cannot hide.
    const failedTests = report.numFailedTests ?? 0;
    const f = failedTests > 0 || report.success !== false ? failedTests : 1;
    const s = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    passed += p;
    failed += f;
    skipped += s;
    rows.push(
      `${path.relative(root, dir).padEnd(16)} ${file.replace('.json', '').padEnd(12)} ${String(p).padStart(5)} passed ${String(f).padStart(4)} failed ${String(s).padStart(4)} skipped`,
    );
  }
}

const turboFailed = turbo.status !== 0;
if (turboFailed && failed === 0) {
  // A build or a runner crashed before it could report: still a failure, and it must show in the count.
  failed += 1;
  rows.push('(a build or test task failed before writing a report; see the output above)');
}
console.log('\nTest reports:');
for (const row of rows) console.log(`  ${row}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(turboFailed || failed > 0 ? 1 : 0);
