#!/usr/bin/env bash
# Compiles TypeScript to plain ES modules in dist/, then bundles each
# executable into one CommonJS file under dist/bin/ (see bundle.mjs for why).
# Incremental: dist/ is not wiped, so a build never pulls files from under a
# running test.
set -euo pipefail
cd "$(dirname "$0")/.."
npx --no-install tsc -p tsconfig.json
node scripts/bundle.mjs
find dist -name main.js -exec chmod 755 {} +
