#!/usr/bin/env bash
# Installs the official MCP SDK clients used by the end-to-end tests:
#   CACHE_DIR/node/node_modules  @modelcontextprotocol/sdk (TS SDK) + zod, and playwright-core
#                                for tests/browser/dev_page.mjs (it drives the system's
#                                Chromium and downloads no browser)
#   CACHE_DIR/venv               Python venv with mcp (Python SDK)
# Idempotent: each part writes a stamp naming the exact pinned versions, so a
# second run (or one after a version bump) only redoes what changed, and a
# completed install needs no network at all. Concurrent runs (parallel test
# binaries) are serialised with flock so they never race on the same npm/pip
# tree. All progress goes to stderr: callers may parse stdout.
set -euo pipefail

TS_SDK_VERSION="1.32.2"   # newest 1.32.x
ZOD_VERSION="3.25.76"     # SDK peer dep (^3.25 || ^4); pinned for reproducibility
PY_SDK_VERSION="2.3.0"
PLAYWRIGHT_VERSION="1.64.1"  # drives Chromium 156

if [ $# -ne 1 ]; then
    echo "usage: $0 CACHE_DIR" >&2
    exit 2
fi
CACHE_DIR="$1"
mkdir -p "$CACHE_DIR"
CACHE_DIR="$(cd "$CACHE_DIR" && pwd)"

log() { echo "[mcp-clients] $*" >&2; }

exec 9>"$CACHE_DIR/.lock"
flock 9

# ---- Node: TS SDK and playwright-core -------------------------------------
node_stamp="$CACHE_DIR/node/.stamp"
node_want="sdk=$TS_SDK_VERSION zod=$ZOD_VERSION playwright-core=$PLAYWRIGHT_VERSION"
if [ "$(cat "$node_stamp" 2>/dev/null || true)" != "$node_want" ]; then
    log "installing @modelcontextprotocol/sdk@$TS_SDK_VERSION and playwright-core@$PLAYWRIGHT_VERSION into $CACHE_DIR/node"
    rm -rf "$CACHE_DIR/node"
    mkdir -p "$CACHE_DIR/node"
    # A package.json of its own stops npm from walking up to some parent
    # project.
    cat > "$CACHE_DIR/node/package.json" <<JSON
{
  "name": "mcp-test-clients",
  "private": true,
  "dependencies": {
    "@modelcontextprotocol/sdk": "$TS_SDK_VERSION",
    "zod": "$ZOD_VERSION",
    "playwright-core": "$PLAYWRIGHT_VERSION"
  }
}
JSON
    (cd "$CACHE_DIR/node" && npm install --prefix "$CACHE_DIR/node" \
        --no-audit --no-fund --loglevel=error 1>&2)
    # Fail now, not in a test, if the entry points ts_client.mjs and dev_page.mjs load
    # don't resolve.
    MCP_CLIENT_NODE_MODULES="$CACHE_DIR/node/node_modules" node -e '
        const r = require("module").createRequire(process.env.MCP_CLIENT_NODE_MODULES + "/x.js");
        for (const m of ["client/index.js", "client/streamableHttp.js", "client/stdio.js", "types.js"])
            r("@modelcontextprotocol/sdk/" + m);
        r("playwright-core");' 1>&2
    echo "$node_want" > "$node_stamp"
else
    log "node client up to date"
fi

# ---- Python: mcp SDK ------------------------------------------------------
venv_stamp="$CACHE_DIR/venv/.stamp"
venv_want="mcp=$PY_SDK_VERSION"
if [ "$(cat "$venv_stamp" 2>/dev/null || true)" != "$venv_want" ]; then
    # mcp 2.x needs >= 3.10; the tests are written against 3.11.
    PY=""
    for cand in python3.11 python3; do
        if command -v "$cand" >/dev/null 2>&1 &&
           "$cand" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
            PY="$cand"; break
        fi
    done
    if [ -z "$PY" ]; then
        log "no Python 3.11 interpreter found"
        exit 1
    fi
    log "creating venv with mcp==$PY_SDK_VERSION in $CACHE_DIR/venv ($PY)"
    rm -rf "$CACHE_DIR/venv"
    "$PY" -m venv "$CACHE_DIR/venv"
    "$CACHE_DIR/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        "mcp==$PY_SDK_VERSION" 1>&2
    "$CACHE_DIR/venv/bin/python" -c 'import mcp.client.session, mcp.client.streamable_http, mcp.client.stdio' 1>&2
    echo "$venv_want" > "$venv_stamp"
else
    log "python client up to date"
fi
