#!/usr/bin/env bash
# Every test of the project, in order; stops at the first failing suite.
#   1. native: unit tests, the 2000-seed explorations, real Jepsen/Porcupine histories,
#      determinism and replay, the `lab` command line;
#   2. wasm32: the engine, protocol and checker tests again in Node.js (same traces as native),
#      and the component tests in headless Chromium;
#   3. end-to-end: the release build of the page, clicked through in headless Chromium.
# ./dev.sh test installs what this needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export WASM_BINDGEN_TEST_WEBDRIVER_JSON="$PWD/tests/webdriver.json"
export WASM_BINDGEN_TEST_TIMEOUT=120

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "native tests (cargo test)"
cargo test

step "wasm32 tests: Node.js and headless Chromium (cargo test --target wasm32-unknown-unknown)"
cargo test --target wasm32-unknown-unknown

step "release build of the page (trunk build --release)"
trunk build --release

step "end-to-end tests in headless Chromium (node --test tests/e2e/)"
node --test tests/e2e/
