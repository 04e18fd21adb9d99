#!/usr/bin/env node
// The CLI is compiled TypeScript; `npm run build -w @ich/api` (or `npm run build` at the root) produces dist/.
import '../dist/cli/ich-audit.js';
