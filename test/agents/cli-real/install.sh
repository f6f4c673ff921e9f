#!/usr/bin/env bash
# Installs the real coding-agent CLIs (pinned in package-lock.json) for test/agents/cli-real.int.test.ts,
# apart from tutti's own dependencies (they weigh ~860 MB). The suite skips, saying why, without them.
set -euo pipefail
cd "$(dirname "$0")"
echo "== real coding-agent CLIs: npm ci in $(pwd)"
npm ci --no-audit --no-fund
for c in claude codex gemini; do echo "   $c $(./node_modules/.bin/$c --version </dev/null 2>/dev/null | head -1)"; done
