#!/usr/bin/env bash
# What CI runs: formatting, lints with warnings denied, the tests.
set -euo pipefail
cd "$(dirname "$0")"
cargo fmt --check
cargo clippy --all-targets -- -D warnings
cargo test
