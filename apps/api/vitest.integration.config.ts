import { createRequire } from 'node:module';
import { mergeConfig } from 'vitest/config';
import { tierConfig } from '../../vitest.shared.js';

// See vitest.unit.config.ts: load graphql's CJS build, the one Apollo and graphql-tools use under Node.
const graphqlEntry = createRequire(import.meta.url).resolve('graphql');
export default mergeConfig(tierConfig('integration'), {
  resolve: { alias: [{ find: /^graphql$/, replacement: graphqlEntry }] },
});
