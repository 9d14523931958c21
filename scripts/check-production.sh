#!/usr/bin/env bash
# The bot as it ships, checked end to end in a fresh clone: `npm ci` builds dist/ (the `prepare`
# script), the dev dependencies are pruned, and then every command an operator runs works from dist/
# with no TypeScript tooling left: without a configuration each stops at its one-line configuration
# error (never a missing module). Then `npm ci --omit=dev` on the built clone must not fail either
# (`prepare` skips the build when the compiler is absent, and dist/ stays).
#
#   scripts/check-production.sh [repository]     default: this checkout (its commits, not the work tree)
#
# Needs the npm registry (or its cache) and builds the SQLite driver twice: a few minutes. Not part
# of `npm test`; run it after changing package.json scripts, tsconfig.build.json or an entry point.
set -euo pipefail

repo="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# sqlite3 is built from source with node-gyp: point it at the headers that ship with Node, as .ci/run does.
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/common.gypi ]; then
  export npm_config_nodedir=/usr
fi

fail() {
  echo "check-production: $*" >&2
  exit 1
}

# Runs an npm script with no configuration in the environment and checks its exit code and the line it
# printed on stderr.
expect_config_error() {
  local expected_code="$1" pattern="$2"
  shift 2
  local code=0
  env -u DISCORD_TOKEN -u SORA_API_KEY -u OPENAI_API_KEY -u SORA_BASE_URL -u OPENAI_BASE_URL \
    -u SHARD_COUNT -u STORE_URL npm run --silent "$@" >"$work/out" 2>"$work/err" || code=$?
  if grep -Eq 'ERR_MODULE_NOT_FOUND|Cannot find (module|package)|ERR_UNKNOWN_FILE_EXTENSION' "$work/err"; then
    cat "$work/err" >&2
    fail "npm run $* could not load its modules"
  fi
  [ "$code" = "$expected_code" ] || { cat "$work/err" >&2; fail "npm run $* exited $code, expected $expected_code"; }
  grep -Eq "$pattern" "$work/err" || { cat "$work/err" >&2; fail "npm run $* did not print /$pattern/"; }
  echo "ok: npm run $* -> exit $code: $(head -n 1 "$work/err")"
}

check_commands() {
  [ -f dist/index.js ] || fail 'dist/index.js is missing'
  for tool in tsx typescript vitest; do
    [ ! -e "node_modules/$tool" ] || fail "node_modules/$tool is still installed"
  done
  expect_config_error 1 '^Configuration error: (DISCORD_TOKEN|SORA_API_KEY) ' start
  expect_config_error 1 '^Configuration error: SHARD_COUNT ' start:sharded
  expect_config_error 4 '^Configuration error: SORA_API_KEY ' status -- x
  expect_config_error 4 '^Configuration error: SORA_API_KEY ' watch -- x
  expect_config_error 4 '^Configuration error: SORA_API_KEY ' download -- x
  expect_config_error 1 'Configuration error: DISCORD_TOKEN ' deploy-commands
  # The id is checked before the configuration, and before anything is sent.
  expect_config_error 4 '^status: The task id contains' status -- 'not an id'
}

git clone --quiet "$repo" "$work/app"
cd "$work/app"

echo '== npm ci (builds dist/ through prepare), then npm prune --omit=dev'
npm ci --no-audit --no-fund
[ -f dist/index.js ] || fail 'npm ci did not build dist/ (prepare)'
npm prune --omit=dev --no-audit --no-fund
check_commands

echo '== npm ci --omit=dev on the built clone'
npm ci --omit=dev --no-audit --no-fund
check_commands

echo 'check-production: ok'
