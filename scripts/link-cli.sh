#!/usr/bin/env bash
# Puts `aihub` on the PATH: a symlink to this checkout's bundled CLI (apps/cli/dist/aihub.mjs) in the
# folder where npm puts global commands (the one pnpm was installed into), or in the folder given.
# Run by setup.sh (so by run.sh and test.sh); on its own: `bash scripts/link-cli.sh [FOLDER]`.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bundle="$repo/apps/cli/dist/aihub.mjs"
[[ -f "$bundle" ]] || { echo "link-cli: $bundle is missing; build first (pnpm turbo run build)" >&2; exit 1; }
dir="${1:-$(npm prefix --global)/bin}"
mkdir -p "$dir"
chmod +x "$bundle"
ln -sfn "$bundle" "$dir/aihub"
echo "aihub -> $bundle (in $dir)"
case ":$PATH:" in
  *":$dir:"*) ;;
  *) echo "link-cli: $dir is not on your PATH; add it: export PATH=\"$dir:\$PATH\"" >&2 ;;
esac
