#!/usr/bin/env node
// The CLI is compiled TypeScript; `npm run build -w @ich/ml` (or `npm run build` at the root) produces dist/.
import '../dist/cli/main.js';
