#!/usr/bin/env bash
# Installs Node-RED 4 into build/node-red for the [node-red] integration test (the example flow in
# examples/node-red/ against the real daemon). Quick when it is there already: no npm call then.
# Node.js and npm come from Debian (bookworm: Node.js 18, which Node-RED 4 supports) when missing.
#
# Where this machine cannot reach the npm registry over verified TLS (no network, or an
# intercepting proxy whose certificate authority the machine does not trust), nothing is
# installed: build/node-red/unavailable then says why, and the [node-red] test reports itself
# skipped with that reason. Any other failure leaves no such file, and the test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=build/node-red
launcher=$prefix/node_modules/.bin/node-red
marker=$prefix/unavailable
registry_host=registry.npmjs.org
installed_major() {
  sed -n 's/^ *"version": *"\([0-9]*\)\..*/\1/p' "$prefix/node_modules/node-red/package.json" 2>/dev/null | head -n 1
}
if [ -x "$launcher" ] && [ "$(installed_major)" = 4 ]; then
  rm -f "$marker"
  exit 0
fi
# The registry check comes first, so that a machine without it does not install Node.js for
# nothing. openssl verifies against the system's certificate store, as npm does here.
if command -v openssl >/dev/null; then
  if ! tls=$(timeout 30 openssl s_client -connect "$registry_host:443" -servername "$registry_host" \
               -verify_return_error -brief </dev/null 2>&1); then
    mkdir -p "$prefix"
    reason=$(printf '%s\n' "$tls" | grep -Ei -m 1 'verify|error|refused|unknown|timed|unreachable' \
             || printf 'no TLS connection')
    echo "https://$registry_host is not reachable with a verified certificate: $reason" | tee "$marker" >&2
    exit 1
  fi
fi
rm -f "$marker"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  source scripts/packages.sh
  bash scripts/deps.sh "${RCT_NODE_RED_PACKAGES[@]}"
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 18 ]; then
  echo "Node.js $(node --version) is too old for Node-RED 4 (needs 18.5 or later)" >&2
  exit 1
fi
echo "installing Node-RED 4 into $prefix (Node.js $(node --version), npm $(npm --version))"
mkdir -p "$prefix"
npm install --no-audit --no-fund --no-update-notifier --loglevel=error --prefix "$prefix" node-red@4
"$launcher" --version | head -n 1
