import { createRequire } from 'node:module';
import { mergeConfig } from 'vitest/config';
import { tierConfig } from '../../vitest.shared.js';

// graphql ships CJS (main) and ESM (module) builds; Node (and the Apollo/graphql-tools code vitest leaves to Node)
// loads the CJS one, so tests must too, or schema objects from the two copies fail graphql's instanceof checks.
const graphqlEntry = createRequire(import.meta.url).resolve('graphql');
export default mergeConfig(tierConfig('unit'), {
  resolve: { alias: [{ find: /^graphql$/, replacement: graphqlEntry }] },
});
