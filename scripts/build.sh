#!/usr/bin/env bash
# Compiles TypeScript to plain ES modules in dist/ (no loader needed at run
# time) and marks entry points executable. Incremental: dist/ is not wiped,
# so a build never pulls files from under a running test.
set -euo pipefail
cd "$(dirname "$0")/.."
npx --no-install tsc -p tsconfig.json
find dist -name main.js -exec chmod 755 {} +
