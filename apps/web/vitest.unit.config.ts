import path from 'node:path';
import { mergeConfig } from 'vitest/config';
import { tierConfig } from '../../vitest.shared.js';

export default mergeConfig(tierConfig('unit'), {
  resolve: { alias: [{ find: /^@\//, replacement: `${path.resolve(import.meta.dirname, 'src')}/` }] },
});
