#!/usr/bin/env bash
# Installs everything AI Hub needs on a fresh Debian 12 machine (as root), starts the services and
# builds the workspace. Idempotent: run it as often as you like. Sourced by run.sh and test.sh.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
export TURBO_TELEMETRY_DISABLED=1 CI="${CI:-}"

step() { printf '\n==> %s\n' "$*"; }
fail() { printf 'setup: %s\n' "$*" >&2; exit 1; }

step "Node.js"
command -v node >/dev/null || fail "node is not installed (this machine kind ships Node.js 20)"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || fail "Node.js >= 20.19 is required (found $(node --version))"
echo "node $(node --version)"

step "pnpm 10"
# pnpm 10 specifically: later majors look up platform builds that the registry here lacks.
if ! command -v pnpm >/dev/null || [[ "$(pnpm --version 2>/dev/null)" != 10.* ]]; then
  npm install --global --no-fund --no-audit pnpm@10.34.9 >/dev/null || fail "could not install pnpm"
fi
echo "pnpm $(pnpm --version)"

step "Services (PostgreSQL, Redis, S3-compatible object store)"
bash scripts/services.sh up

step "Chromium (the web console's browser tests)"
# Debian's build: test tools cannot download their own browsers here. Installed once, as root.
if [[ ! -x /usr/bin/chromium ]]; then
  if [[ "$(id -u)" -eq 0 ]]; then
    { apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 \
      || { apt-get update >/dev/null && apt-get install -y --no-install-recommends chromium >/dev/null; }; } \
      || fail "could not install chromium"
  else
    echo "setup: /usr/bin/chromium is missing and this is not root; the browser tests will fail" >&2
  fi
fi
/usr/bin/chromium --version 2>/dev/null || true

step "Python (the Python client's tests and example; python3-onnx writes the test models, tests/models)"
# Debian's interpreter and packages (/usr/bin/python3; a python3 earlier on the PATH may be another one).
python_packages=(python3 python3-venv python3-pip python3-setuptools python3-requests python3-pytest python3-numpy python3-pandas python3-sklearn python3-mypy python3-onnx)
missing=()
for pkg in "${python_packages[@]}"; do
  [[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true) == "install ok installed" ]] || missing+=("$pkg")
done
if (( ${#missing[@]} )); then
  [[ $(id -u) == 0 ]] || fail "Python packages missing (${missing[*]}) and not running as root"
  echo "installing: ${missing[*]}"
  apt-get update -qq >/dev/null || fail "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null \
    || fail "apt-get install ${missing[*]} failed"
fi
/usr/bin/python3 -c 'import pytest, requests, sklearn, pandas; print("python", __import__("sys").version.split()[0], "pytest", pytest.__version__, "scikit-learn", sklearn.__version__, "pandas", pandas.__version__)'
/usr/bin/python3 -c 'import onnx; print("onnx", onnx.__version__)'

step "Dependencies"
pnpm install --frozen-lockfile --reporter=append-only 2>&1 | grep -vE '^Progress|Failed to create bin' || true
[[ -d node_modules/.pnpm ]] || fail "pnpm install failed"

step "Build"
pnpm turbo run build --output-logs=errors-only || fail "build failed"

step "The aihub command"
# Not fatal: without write access there, the CLI still runs as `node apps/cli/dist/aihub.mjs`.
bash scripts/link-cli.sh || echo "setup: could not put aihub on the PATH; run 'bash scripts/link-cli.sh FOLDER' with a folder on your PATH" >&2
