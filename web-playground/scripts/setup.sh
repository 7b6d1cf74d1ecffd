# Sourced by scripts/test-wasm and scripts/playground (bash): installs what the WASM build and the
# playground need, idempotently (each step is skipped when already done). Offline once done.
#   setup_wasm_toolchain   wasm32 target (rustup; Debian rustc-web as the fallback), wasm-bindgen-cli
#   setup_npm DIR          npm ci in DIR, skipped while node_modules matches package-lock.json
#   setup_chromium         Debian chromium, when /usr/bin/chromium is missing

setup_step() { printf '\n--- %s: %s\n' "${SETUP_WHO:-setup}" "$*"; }

# The wasm-bindgen version pinned by the crate (`wasm-bindgen = "=X.Y.Z"`); the CLI must equal it.
wasm_bindgen_pin() {
  sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' "$MESHLOCK_ROOT/web-playground/wasm/Cargo.toml"
}

setup_wasm_toolchain() {
  setup_step "wasm32-unknown-unknown target"
  if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    echo "installed"
  elif rustup target add wasm32-unknown-unknown; then
    :
  else
    setup_rustc_web
  fi

  local pin
  pin="$(wasm_bindgen_pin)"
  [ -n "$pin" ] || { echo "setup: no exact wasm-bindgen pin in web-playground/wasm/Cargo.toml" >&2; return 1; }
  setup_step "wasm-bindgen-cli $pin"
  if wasm-bindgen --version 2>/dev/null | grep -q " $pin\$"; then
    echo "installed: $(wasm-bindgen --version)"
  else
    # Not --locked: the locked webpki-roots may be newer than the registry index (toolchain.md §1.1).
    cargo install wasm-bindgen-cli --version "$pin"
  fi
}

# Fallback when rustup cannot download the target: Debian's rustc-web (toolchain.md §1.0). The build
# (scripts/build-wasm.sh) then uses it through MESHLOCK_RUSTC_WEB, with -Zbuild-std.
setup_rustc_web() {
  local dir="${XDG_CACHE_HOME:-$HOME/.cache}/meshlock/rustc-web"
  setup_step "rustup cannot add the target: Debian rustc-web in $dir"
  if [ ! -x "$dir/usr/bin/rustc" ]; then
    apt-get update
    # The versioned std (libstd-rust-web-1.NN) and the LLVM it links are named by the dependencies.
    local debs libstd llvm
    libstd="$(apt-cache depends libstd-rust-web-dev | sed -n 's/.*Depends: \(libstd-rust-web-1[.0-9]*\)$/\1/p' | head -n1)"
    llvm="$(apt-cache depends "$libstd" | sed -n 's/.*Depends: \(libllvm[0-9]*\)$/\1/p' | head -n1)"
    [ -n "$libstd" ] && [ -n "$llvm" ] || { echo "setup: cannot name rustc-web's std and LLVM packages" >&2; return 1; }
    debs="$(mktemp -d)"
    (cd "$debs" && apt-get download rustc-web libstd-rust-web-dev "$libstd" rust-web-src "$llvm")
    mkdir -p "$dir"
    for f in "$debs"/*.deb; do dpkg -x "$f" "$dir"; done
    rm -rf "$debs"
  fi
  export MESHLOCK_RUSTC_WEB="$dir"
}

setup_npm() {
  local dir="$1" lock_sum stamp
  setup_step "npm packages in ${dir#"$MESHLOCK_ROOT"/}"
  lock_sum="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  stamp="$dir/node_modules/.meshlock-package-lock.sha256"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_sum" ]; then
    echo "node_modules matches package-lock.json"
  else
    (cd "$dir" && npm ci --no-audit --no-fund)
    echo "$lock_sum" >"$stamp"
  fi
}

setup_chromium() {
  setup_step "chromium (Debian)"
  if [ -x /usr/bin/chromium ]; then
    echo "installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
  else
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
  fi
}
