import { defineConfig, type ViteUserConfig } from 'vitest/config';

type Tier = 'unit' | 'integration' | 'e2e';

/**
 * One vitest config per test tier. Each tier writes a JSON report under `.reports/` so that `npm test` can print
 * one `N passed, N failed` line summing every runner (turbo's own summary hides the runners' lines).
 */
export function tierConfig(
  tier: Tier,
  overrides: { include?: string[]; timeoutMs?: number; setupFiles?: string[]; fileParallelism?: boolean } = {},
): ViteUserConfig {
  const include = overrides.include ?? (tier === 'unit' ? ['src/**/*.test.ts'] : [`test/${tier}/**/*.test.ts`]);
  return defineConfig({
    test: {
      include,
      environment: 'node',
      testTimeout: overrides.timeoutMs ?? (tier === 'unit' ? 20_000 : 120_000),
      hookTimeout: overrides.timeoutMs ?? (tier === 'unit' ? 20_000 : 180_000),
      setupFiles: overrides.setupFiles ?? [],
      // Integration and e2e tiers start servers and databases; on a 2-core machine running their files one
      // at a time is faster and keeps timings honest.
      fileParallelism: overrides.fileParallelism ?? tier === 'unit',
      passWithNoTests: false,
      reporters: ['default', ['json', { outputFile: `.reports/${tier}.json` }]],
    },
  });
}
