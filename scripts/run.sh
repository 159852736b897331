#!/usr/bin/env bash
# Main job: install everything, start the services, migrate, and run the AI Hub server.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo/scripts/setup.sh"
eval "$(bash scripts/services.sh env)"

step "Migrations"
node packages/db/dist/migrate-cli.js

# A development admin key of the root project, made once and kept in .data/ (git-ignored).
key_file=.data/dev-admin-key
mkdir -p .data  # services that were already running (reused, not started here) made no .data/
if [[ -z "${AIHUB_BOOTSTRAP_ADMIN_KEY:-}" ]]; then
  if [[ ! -s "$key_file" ]]; then
    node -e '
      const c = require("node:crypto"); const abc = "abcdefghijklmnopqrstuvwxyz0123456789";
      let p = ""; for (const b of c.randomBytes(8)) p += abc[b % abc.length];
      process.stdout.write(`aihub_${p}_${c.randomBytes(32).toString("base64url")}`);' > "$key_file"
    chmod 600 "$key_file"
  fi
  export AIHUB_BOOTSTRAP_ADMIN_KEY="$(cat "$key_file")"
fi
export PORT="${PORT:-8080}" HOST="${HOST:-127.0.0.1}" AIHUB_MIGRATE_ON_START=false

step "AI Hub server"
cat <<INFO
URL:               http://${HOST}:${PORT}
Dev admin key:     ${AIHUB_BOOTSTRAP_ADMIN_KEY}   (root project; also in ${key_file})
Try the CLI:       export AIHUB_URL=http://${HOST}:${PORT} AIHUB_API_KEY=\$(cat ${key_file}); aihub health
Stop with Ctrl-C (the services keep running; 'bash scripts/services.sh down' stops them).
INFO
exec node apps/server/dist/main.js
