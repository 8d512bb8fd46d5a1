#!/usr/bin/env bash
# One entry point for people and CI:
#   ./dev.sh serve   install what is missing, then serve the app on http://127.0.0.1:8080
#   ./dev.sh test    install what is missing, then run every test (native, wasm32, browser)
#   ./dev.sh bench   the speed and size figures the README quotes
# Every install step checks first and skips what is already there.
set -euo pipefail
cd "$(dirname "$0")"

WASM_BINDGEN_VERSION=0.2.130   # must equal the `wasm-bindgen` pin in Cargo.toml
TRUNK_VERSION=0.21.14
BINARYEN_VERSION=132
PLAYWRIGHT_VERSION=1.64.1
TOOLS="$PWD/.tools"            # npm tools live here (git-ignored)
export PATH="$HOME/.cargo/bin:$TOOLS/node_modules/.bin:$PATH"

log() { printf '\033[1m[dev] %s\033[0m\n' "$*" >&2; }

have_version() { command -v "$1" >/dev/null 2>&1 && "$1" --version 2>/dev/null | grep -q "$2"; }

install_rust_tools() {
  if ! rustup target list --installed | grep -q '^wasm32-unknown-unknown$'; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if ! have_version wasm-bindgen "$WASM_BINDGEN_VERSION"; then
    log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 3 min)"
    # --locked fails for this version (its lock file names a yanked crate)
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  fi
}

install_trunk() {
  if ! have_version trunk "$TRUNK_VERSION"; then
    log "installing trunk $TRUNK_VERSION (about 7 min)"
    # without --locked a newer cssparser is picked and the build fails
    cargo install trunk --version "$TRUNK_VERSION" --locked
  fi
}

install_npm_tools() {
  if [ ! -x "$TOOLS/node_modules/.bin/wasm-opt" ] || [ ! -d "$TOOLS/node_modules/playwright-core" ]; then
    log "installing wasm-opt (binaryen@$BINARYEN_VERSION) and playwright-core into .tools/"
    mkdir -p "$TOOLS"
    npm install --prefix "$TOOLS" --no-audit --no-fund --silent \
      "binaryen@$BINARYEN_VERSION" "playwright-core@$PLAYWRIGHT_VERSION"
  fi
}

install_chromium() {
  if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    log "installing chromium and chromium-driver from Debian"
    local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
}

install_all() { install_rust_tools; install_npm_tools; install_trunk; install_chromium; }

case "${1:-}" in
  install) install_all ;;
  serve)
    install_rust_tools; install_npm_tools; install_trunk
    exec trunk serve --release --address 127.0.0.1 --port "${PORT:-8080}" ;;
  test)
    install_all
    exec bash tests/run-all.sh ;;
  bench)
    install_all
    cargo bench --bench engine
    cargo bench --bench checker
    cargo bench --bench swim_paper
    trunk build --release
    node tests/e2e/measure.mjs ;;
  *) echo "usage: ./dev.sh serve | test | bench | install" >&2; exit 2 ;;
esac
