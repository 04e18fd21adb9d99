import { tierConfig } from '../vitest.shared.js';
export default tierConfig('e2e', { include: ['e2e/**/*.test.ts'], timeoutMs: 180_000 });
