#!/usr/bin/env bash
# Local backing services for AI Hub: PostgreSQL 15, Redis 7 and an
# S3-compatible object store (OpenStack Swift + s3api), all on 127.0.0.1.
#
#   scripts/services.sh up      install what's missing, start/reuse, print exports
#   scripts/services.sh down    stop what THIS checkout started (data is kept)
#   scripts/services.sh status  one line per service; exit 1 if any is down
#   scripts/services.sh env     only the export lines:  eval "$(scripts/services.sh env)"
#
# Progress goes to stderr, export lines to stdout. In scripts prefer
#   scripts/services.sh up >/dev/null && eval "$(scripts/services.sh env)"
# over `eval "$(scripts/services.sh up)"`: eval hides a failing `up`.
#
# Everything lives in <repo>/.data. Ports are fixed (the connection settings
# are part of the project's contract), so a second checkout on the same
# machine reuses the services of the first one instead of starting its own.
#
# Must run as root on Debian 12, with no TTY/stdin and no systemd (CI).
set -euo pipefail

SCRIPT_PATH=$(readlink -f "${BASH_SOURCE[0]}")
SCRIPTS_DIR=$(dirname "$SCRIPT_PATH")
REPO_ROOT=$(dirname "$SCRIPTS_DIR")
HELPERS="$SCRIPTS_DIR/services"
DATA="$REPO_ROOT/.data"

HOST=127.0.0.1
PG_PORT=55432
REDIS_PORT=56379
S3_PORT=58080
MEMCACHED_PORT=51211
# Swift storage servers; the proxy reaches them through the rings.
SWIFT_OBJECT_PORT=58010
SWIFT_CONTAINER_PORT=58011
SWIFT_ACCOUNT_PORT=58012

PG_USER=aihub
PG_PASSWORD=aihub
PG_DB=aihub
S3_REGION=us-east-1
S3_ACCOUNT=aihub        # tempauth account -> Swift account AUTH_aihub
S3_USER=admin
S3_ACCESS_KEY="$S3_ACCOUNT:$S3_USER"
S3_SECRET_KEY=aihub-secret

READY_TIMEOUT=${AIHUB_SERVICES_TIMEOUT:-30}

# Absolute paths on purpose: a python3 from pyenv/venv earlier in PATH has no
# `swift` module, and /usr/bin/psql is a wrapper that wants a Debian cluster.
PYTHON=/usr/bin/python3
PG_BIN=/usr/lib/postgresql/15/bin

# Every ancestor of $1 lets others walk through it (the postgres OS user is "other" here).
world_traversable() {
  local d=$1
  while [[ $d != / ]]; do
    d=$(dirname "$d")
    (( 0$(stat -c %a "$d") & 1 )) || return 1
  done
}

PGDATA_DIR="$DATA/postgres"
PG_LOG="$DATA/postgres.log"
# Unix socket paths are limited to ~107 bytes; deep clone paths fall back to /tmp.
PG_SOCKET_DIR="$DATA/postgres-socket"
# postgres refuses to run as root, and the postgres OS user cannot walk into a clone under a 0700
# directory such as /root. Then the cluster lives in a per-checkout folder under /var/lib/aihub,
# linked from .data/postgres so it is still found from the checkout.
PG_OUTSIDE=""
if ! world_traversable "$DATA"; then
  PG_OUTSIDE="/var/lib/aihub/pg-$(printf '%s' "$DATA" | md5sum | cut -c1-12)"
  PGDATA_DIR="$PG_OUTSIDE/postgres"
  PG_LOG="$PG_OUTSIDE/postgres.log"
  PG_SOCKET_DIR="$PG_OUTSIDE/socket"
fi
if (( ${#PG_SOCKET_DIR} > 90 )); then
  PG_SOCKET_DIR="/tmp/aihub-pg-$(printf '%s' "$DATA" | md5sum | cut -c1-10)"
fi
REDIS_DIR="$DATA/redis"
SWIFT_DIR="$DATA/swift"
SWIFT_ETC="$SWIFT_DIR/etc"
SWIFT_DEVICES="$SWIFT_DIR/devices"
SWIFT_LOG="$SWIFT_DIR/log"
SWIFT_RUN="$SWIFT_DIR/run"
SWIFT_DEVICE=d1

# Machine-wide, not per checkout: the ports are machine-wide too, and two
# checkouts racing through `up` would otherwise both try to bind them.
LOCK_FILE=/tmp/aihub-services.lock

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

# Show the end of a log file so CI output explains a failure by itself.
show_log_tail() {
  local file=$1
  if [[ -s $file ]]; then
    printf '[services] ---- last lines of %s ----\n' "$file" >&2
    tail -n 25 "$file" >&2 || true
    printf '[services] ----\n' >&2
  fi
}

# Is anything at all listening on the port? (bash's /dev/tcp: no nc/curl needed)
port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null
}

# wait_for DESCRIPTION LOGFILE PIDFILE COMMAND...: poll COMMAND until it
# succeeds. PIDFILE (may be "") lets a daemon that already died fail at once
# instead of after the whole timeout.
wait_for() {
  local what=$1 logfile=$2 pidfile=$3; shift 3
  local deadline=$((SECONDS + READY_TIMEOUT)) pid
  until "$@"; do
    if [[ -n $pidfile && -s $pidfile ]]; then
      pid=$(head -n1 "$pidfile" | tr -dc '0-9')
      if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
        show_log_tail "$logfile"
        die "$what exited during startup (log: $logfile)"
      fi
    fi
    if (( SECONDS >= deadline )); then
      show_log_tail "$logfile"
      die "$what did not become ready within ${READY_TIMEOUT}s (log: $logfile)"
    fi
    sleep 0.3
  done
}

# render TEMPLATE OUTPUT KEY=VALUE...: replace @KEY@ placeholders.
render() {
  local template=$1 out=$2 text kv; shift 2
  text=$(<"$template")
  for kv in "$@"; do
    # Quoted replacement: bash 5.2 would otherwise treat '&' in values specially.
    text=${text//"@${kv%%=*}@"/"${kv#*=}"}
  done
  if [[ $text =~ @[A-Z_]+@ ]]; then
    die "unfilled placeholder ${BASH_REMATCH[0]} in $template"
  fi
  printf '%s\n' "$text" >"$out.tmp"
  mv -f "$out.tmp" "$out"
}

# pid_matches PIDFILE PATTERN: the pidfile names a live process whose command
# line contains PATTERN. Guards against stale pidfiles whose pid was recycled
# (e.g. after a container restart), so we never signal an unrelated process.
pid_matches() {
  local pidfile=$1 pattern=$2 pid
  [[ -s $pidfile ]] || return 1
  pid=$(head -n1 "$pidfile" | tr -dc '0-9')
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$pattern"
}

# stop_pidfile NAME PIDFILE PATTERN: TERM, wait, then KILL.
stop_pidfile() {
  local name=$1 pidfile=$2 pattern=$3 pid i
  if ! pid_matches "$pidfile" "$pattern"; then
    log "$name: not running from this checkout"
    rm -f "$pidfile"
    return 0
  fi
  pid=$(head -n1 "$pidfile" | tr -dc '0-9')
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name: pid $pid ignored SIGTERM for 10s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
  log "$name: stopped (pid $pid)"
}

# start_background NAME PIDFILE LOGFILE COMMAND...
# setsid+nohup detach the daemon from the caller's session/process group, so
# it survives the CI step or terminal that ran `up`; stdin from /dev/null
# because CI has none. The pid is written by the process itself (`exec`
# keeps it), which is exact even if setsid has to fork.
start_background() {
  local name=$1 pidfile=$2 logfile=$3; shift 3
  printf '\n==== %s starting %s ====\n' "$(date -u +%FT%TZ)" "$name" >>"$logfile"
  rm -f "$pidfile"
  # 9>&-: don't hand the `up` lock (fd 9) to a daemon that outlives us.
  setsid nohup bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" \
    </dev/null >>"$logfile" 2>&1 9>&- &
  # Wait for the pidfile so callers can rely on it right away.
  local i
  for ((i = 0; i < 50; i++)); do
    [[ -s $pidfile ]] && return 0
    sleep 0.1
  done
  show_log_tail "$logfile"
  die "$name: failed to launch (log: $logfile)"
}

# --------------------------------------------------------------------------
# packages

REQUIRED_PACKAGES=(
  postgresql-15 postgresql-client-15
  redis-server redis-tools
  memcached swift swift-proxy swift-account swift-container swift-object
  curl jq   # the README's REST examples (run by a test)
)

ensure_packages() {
  local pkg missing=()
  for pkg in "${REQUIRED_PACKAGES[@]}"; do
    if [[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true) != "install ok installed" ]]; then
      missing+=("$pkg")
    fi
  done
  (( ${#missing[@]} == 0 )) && return 0

  [[ $(id -u) == 0 ]] || die "packages missing (${missing[*]}) and not running as root"
  log "installing: ${missing[*]}"
  # Output goes to stderr: stdout is reserved for the export lines.
  apt-get update >&2 || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" </dev/null >&2 \
    || die "apt-get install ${missing[*]} failed"
}

# --------------------------------------------------------------------------
# PostgreSQL: a private cluster in .data/postgres (Debian's 15/main is never
# used or started).

pg_as_postgres() { runuser -u postgres -- "$@"; }

# "Answering with the expected credentials": aihub/aihub can log in to the
# aihub database and has CREATEDB (tests create a database per test file).
pg_ok() {
  (
    # Ignore PG* variables from the caller's environment (PGSSLMODE, PGOPTIONS...).
    # (Only exported variables: our own PG_* settings are not exported.)
    for v in $(compgen -e); do [[ $v == PG* ]] && unset "$v"; done
    [[ $("$PG_BIN/psql" -X -qtA \
      "postgresql://$PG_USER:$PG_PASSWORD@$HOST:$PG_PORT/$PG_DB?connect_timeout=3&sslmode=disable" \
      -c "select rolcreatedb from pg_roles where rolname = current_user" 2>/dev/null) == t ]]
  )
}

pg_running_here() {
  [[ -f $PGDATA_DIR/postmaster.pid ]] &&
    pg_as_postgres "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1
}

pg_prepare_dirs() {
  mkdir -p "$DATA" "$PGDATA_DIR" "$PG_SOCKET_DIR"
  if [[ -n $PG_OUTSIDE ]]; then
    chmod 755 /var/lib/aihub "$PG_OUTSIDE"
    [[ -L $DATA/postgres ]] || ln -sfn "$PGDATA_DIR" "$DATA/postgres"
    log "postgres: $DATA is not reachable by the postgres user; cluster kept in $PGDATA_DIR"
  fi
  [[ -e $PG_LOG ]] || : >"$PG_LOG"
  chown postgres:postgres "$PGDATA_DIR" "$PG_SOCKET_DIR" "$PG_LOG"
  chmod 700 "$PGDATA_DIR"
  # postgres refuses to run as root, so the postgres OS user must be able to
  # walk down to .data (fails e.g. for a clone under /root, which is 0700).
  pg_as_postgres test -w "$PGDATA_DIR" -a -w "$PG_SOCKET_DIR" -a -w "$PG_LOG" ||
    die "postgres: the 'postgres' OS user cannot write $PGDATA_DIR; a parent directory is not traversable (chmod o+x it, or clone the repo elsewhere)"
}

pg_init_cluster() {
  [[ -f $PGDATA_DIR/PG_VERSION ]] && return 0
  log "postgres: initdb $PGDATA_DIR"
  pg_as_postgres "$PG_BIN/initdb" -D "$PGDATA_DIR" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=peer --auth-host=scram-sha-256 >>"$PG_LOG" 2>&1 ||
    { show_log_tail "$PG_LOG"; die "postgres: initdb failed (log: $PG_LOG)"; }
  # Our settings live in a separate file so they can be regenerated on every
  # `up` without touching initdb's postgresql.conf again.
  printf "\ninclude = 'aihub.conf'\n" >>"$PGDATA_DIR/postgresql.conf"
}

pg_write_config() {
  render "$HELPERS/postgres/aihub.conf.in" "$PGDATA_DIR/aihub.conf" \
    PG_PORT="$PG_PORT" PG_SOCKET_DIR="$PG_SOCKET_DIR"
  render "$HELPERS/postgres/pg_hba.conf.in" "$PGDATA_DIR/pg_hba.conf"
  chown postgres:postgres "$PGDATA_DIR/aihub.conf" "$PGDATA_DIR/pg_hba.conf"
  chmod 600 "$PGDATA_DIR/aihub.conf" "$PGDATA_DIR/pg_hba.conf"
}

# After a container restart a leftover postmaster.pid may name a pid that now
# belongs to another process; pg_ctl would then refuse to start.
pg_clear_stale_pidfile() {
  local pidfile="$PGDATA_DIR/postmaster.pid" pid
  [[ -f $pidfile ]] || return 0
  pid=$(head -n1 "$pidfile" | tr -dc '0-9')
  if [[ -z $pid ]] || [[ $(cat "/proc/$pid/comm" 2>/dev/null || true) != postgres ]]; then
    log "postgres: removing stale postmaster.pid (pid ${pid:-?} is not postgres)"
    rm -f "$pidfile"
  fi
}

pg_bootstrap_roles() {
  # Idempotent: (re)asserts role attributes and password on every start.
  pg_as_postgres "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_PORT" \
    -d postgres >>"$PG_LOG" 2>&1 <<SQL || { show_log_tail "$PG_LOG"; die "postgres: creating role/database '$PG_USER' failed (log: $PG_LOG)"; }
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER') THEN
    CREATE ROLE $PG_USER LOGIN CREATEDB NOSUPERUSER PASSWORD '$PG_PASSWORD';
  ELSE
    ALTER ROLE $PG_USER LOGIN CREATEDB NOSUPERUSER PASSWORD '$PG_PASSWORD';
  END IF;
END
\$\$;
SELECT 'CREATE DATABASE $PG_DB OWNER $PG_USER'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$PG_DB')\gexec
SQL
}

pg_up() {
  if pg_ok; then
    if pg_running_here; then log "postgres: already running ($HOST:$PG_PORT)"
    else log "postgres: reusing server on $HOST:$PG_PORT (not started from this checkout)"; fi
    return 0
  fi
  if port_open "$PG_PORT" && ! pg_running_here; then
    die "postgres: port $PG_PORT is in use by something that does not accept $PG_USER/$PG_PASSWORD on database $PG_DB (check: ss -ltnp 'sport = :$PG_PORT')"
  fi

  pg_prepare_dirs
  pg_init_cluster
  pg_write_config
  if pg_running_here; then
    # Running but not accepting our login: config/role drifted; fix in place.
    pg_as_postgres "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" reload >/dev/null
  else
    pg_clear_stale_pidfile
    log "postgres: starting ($HOST:$PG_PORT, log: $PG_LOG)"
    # 9>&-: the postmaster would otherwise inherit and hold the `up` lock.
    pg_as_postgres "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$PG_LOG" -w -t "$READY_TIMEOUT" start >/dev/null 9>&- ||
      { show_log_tail "$PG_LOG"; die "postgres: pg_ctl start failed (log: $PG_LOG)"; }
  fi
  pg_bootstrap_roles
  wait_for "postgres ($HOST:$PG_PORT)" "$PG_LOG" "" pg_ok
}

pg_down() {
  if pg_running_here; then
    pg_as_postgres "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 60 stop >/dev/null ||
      { show_log_tail "$PG_LOG"; die "postgres: pg_ctl stop failed (log: $PG_LOG)"; }
    log "postgres: stopped"
  else
    log "postgres: not running from this checkout"
  fi
}

# --------------------------------------------------------------------------
# Redis: cache only, so no persistence at all.

REDIS_PIDFILE="$REDIS_DIR/redis.pid"
REDIS_LOG="$REDIS_DIR/redis.log"

redis_ok() {
  [[ $(timeout 3 redis-cli -h "$HOST" -p "$REDIS_PORT" ping 2>/dev/null || true) == PONG ]]
}

redis_up() {
  if redis_ok; then
    if pid_matches "$REDIS_PIDFILE" redis-server; then log "redis: already running ($HOST:$REDIS_PORT)"
    else log "redis: reusing server on $HOST:$REDIS_PORT (not started from this checkout)"; fi
    return 0
  fi
  port_open "$REDIS_PORT" &&
    die "redis: port $REDIS_PORT is in use by something that does not answer an unauthenticated PING (check: ss -ltnp 'sport = :$REDIS_PORT')"

  mkdir -p "$REDIS_DIR"
  log "redis: starting ($HOST:$REDIS_PORT, log: $REDIS_LOG)"
  redis-server --daemonize yes --bind "$HOST" --port "$REDIS_PORT" \
    --save '' --appendonly no --dir "$REDIS_DIR" \
    --pidfile "$REDIS_PIDFILE" --logfile "$REDIS_LOG" </dev/null >/dev/null 2>>"$REDIS_LOG" 9>&- ||
    { show_log_tail "$REDIS_LOG"; die "redis: redis-server failed to start (log: $REDIS_LOG)"; }
  wait_for "redis ($HOST:$REDIS_PORT)" "$REDIS_LOG" "$REDIS_PIDFILE" redis_ok
}

redis_down() { stop_pidfile redis "$REDIS_PIDFILE" redis-server; }

# --------------------------------------------------------------------------
# Object store: memcached + Swift account/container/object servers + proxy
# with s3api. Swift is the only S3 server available from Debian that checks
# SigV4 signatures like the real thing.

SWIFT_SERVERS=(account container object)   # storage servers, in start order

swift_port() {
  case $1 in
    account) echo "$SWIFT_ACCOUNT_PORT" ;;
    container) echo "$SWIFT_CONTAINER_PORT" ;;
    object) echo "$SWIFT_OBJECT_PORT" ;;
    proxy) echo "$S3_PORT" ;;
  esac
}

probe() { "$PYTHON" "$HELPERS/probe.py" "$@" 2>/dev/null; }
memcached_ok() { probe memcached "$MEMCACHED_PORT"; }
swift_health_ok() { probe health "$(swift_port "$1")"; }
s3_ok() { probe s3 "http://$HOST:$S3_PORT" "$S3_REGION" "$S3_ACCESS_KEY" "$S3_SECRET_KEY"; }

# The conf path is unique per checkout, so matching it in the command line
# tells our processes apart from another checkout's.
swift_pattern() { echo "$SWIFT_ETC/$1-server.conf"; }
memcached_pattern() { echo "memcached -l $HOST -p $MEMCACHED_PORT"; }

swift_prepare() {
  mkdir -p "$SWIFT_ETC" "$SWIFT_DEVICES/$SWIFT_DEVICE" "$SWIFT_LOG" "$SWIFT_RUN"

  if [[ ! -s $SWIFT_ETC/swift.conf ]]; then
    render "$HELPERS/swift/swift.conf.in" "$SWIFT_ETC/swift.conf" \
      HASH_PREFIX="$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')" \
      HASH_SUFFIX="$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
  fi

  local run_user server
  run_user=$(id -un)
  render "$HELPERS/swift/proxy-server.conf.in" "$SWIFT_ETC/proxy-server.conf" \
    PROXY_PORT="$S3_PORT" RUN_USER="$run_user" SWIFT_ETC="$SWIFT_ETC" \
    S3_REGION="$S3_REGION" S3_ACCOUNT="$S3_ACCOUNT" S3_USER="$S3_USER" \
    S3_SECRET_KEY="$S3_SECRET_KEY" MEMCACHED_PORT="$MEMCACHED_PORT"
  for server in "${SWIFT_SERVERS[@]}"; do
    render "$HELPERS/swift/backend-server.conf.in" "$SWIFT_ETC/$server-server.conf" \
      SERVER="$server" PORT="$(swift_port "$server")" RUN_USER="$run_user" \
      SWIFT_ETC="$SWIFT_ETC" SWIFT_DEVICES="$SWIFT_DEVICES"
  done

  # One device, one replica: durability is not the point here. Part power 8
  # (256 partitions) keeps the directory tree small. Existing rings are kept
  # unless their device/port no longer matches (see swift-rings.py).
  local out specs=()
  for server in "${SWIFT_SERVERS[@]}"; do specs+=("$server=$(swift_port "$server")"); done
  out=$("$PYTHON" "$HELPERS/swift-rings.py" "$SWIFT_ETC" "$SWIFT_DEVICE" 8 "${specs[@]}" 2>&1) ||
    { printf '%s\n' "$out" >&2; die "swift: building the rings in $SWIFT_ETC failed"; }
  [[ -n $out ]] && log "swift: ${out//$'\n'/, }"
  for server in "${SWIFT_SERVERS[@]}"; do
    [[ -s $SWIFT_ETC/$server.ring.gz ]] || die "swift: $SWIFT_ETC/$server.ring.gz is missing after building rings"
  done
}

memcached_start() {
  local pidfile="$SWIFT_RUN/memcached.pid" logfile="$SWIFT_LOG/memcached.log"
  if memcached_ok; then
    if pid_matches "$pidfile" "$(memcached_pattern)"; then log "memcached: already running ($HOST:$MEMCACHED_PORT)"
    else log "memcached: reusing server on $HOST:$MEMCACHED_PORT"; fi
    return 0
  fi
  port_open "$MEMCACHED_PORT" &&
    die "memcached: port $MEMCACHED_PORT is in use by something that is not memcached"
  log "memcached: starting ($HOST:$MEMCACHED_PORT, log: $logfile)"
  # -U 0: no UDP listener; -u: memcached refuses to run as root without it.
  start_background memcached "$pidfile" "$logfile" \
    memcached -l "$HOST" -p "$MEMCACHED_PORT" -U 0 -m 64 -c 1024 -u nobody
}

# swift_start SERVER (account|container|object|proxy)
swift_start() {
  local server=$1 port pidfile logfile
  port=$(swift_port "$server")
  pidfile="$SWIFT_RUN/$server-server.pid"
  logfile="$SWIFT_LOG/$server-server.log"
  if swift_health_ok "$server"; then
    if pid_matches "$pidfile" "$(swift_pattern "$server")"; then log "swift-$server: already running ($HOST:$port)"
    else log "swift-$server: reusing server on $HOST:$port"; fi
    return 0
  fi
  if port_open "$port"; then
    # Still starting from an earlier `up` of ours? Then just wait for it below.
    pid_matches "$pidfile" "$(swift_pattern "$server")" && return 0
    die "swift-$server: port $port is in use by something that is not a Swift server (check: ss -ltnp 'sport = :$port')"
  fi
  log "swift-$server: starting ($HOST:$port, log: $logfile)"
  start_background "swift-$server" "$pidfile" "$logfile" \
    "$PYTHON" "$HELPERS/swift-server.py" "$server-server" "$SWIFT_ETC/$server-server.conf"
}

s3_up() {
  local rc=0
  s3_ok || rc=$?
  case $rc in
    0)
      # Proxy answers with our credentials; only reuse as a whole if the
      # storage servers behind it are healthy as well.
      if swift_health_ok account && swift_health_ok container && swift_health_ok object && memcached_ok; then
        if pid_matches "$SWIFT_RUN/proxy-server.pid" "$(swift_pattern proxy)"; then
          log "s3: already running (http://$HOST:$S3_PORT)"
        else
          log "s3: reusing server on http://$HOST:$S3_PORT (not started from this checkout)"
        fi
        return 0
      fi
      ;;
    3) die "s3: http://$HOST:$S3_PORT answers but rejects access key '$S3_ACCESS_KEY' / our secret; it is not this project's object store" ;;
  esac

  swift_prepare
  memcached_start
  local server
  for server in "${SWIFT_SERVERS[@]}" proxy; do
    swift_start "$server"
  done

  wait_for "memcached ($HOST:$MEMCACHED_PORT)" "$SWIFT_LOG/memcached.log" "$SWIFT_RUN/memcached.pid" memcached_ok
  for server in "${SWIFT_SERVERS[@]}" proxy; do
    wait_for "swift-$server ($HOST:$(swift_port "$server"))" "$SWIFT_LOG/$server-server.log" \
      "$SWIFT_RUN/$server-server.pid" swift_health_ok "$server"
  done
  # End-to-end: signed S3 request through memcached, tempauth and the account server.
  wait_for "s3 (http://$HOST:$S3_PORT, signed ListBuckets as $S3_ACCESS_KEY)" "$SWIFT_LOG/proxy-server.log" \
    "$SWIFT_RUN/proxy-server.pid" s3_ok
}

s3_down() {
  local server
  for server in proxy object container account; do
    stop_pidfile "swift-$server" "$SWIFT_RUN/$server-server.pid" "$(swift_pattern "$server")"
  done
  stop_pidfile memcached "$SWIFT_RUN/memcached.pid" "$(memcached_pattern)"
}

# --------------------------------------------------------------------------
# commands

print_env() {
  cat <<EOF
export DATABASE_URL=postgresql://$PG_USER:$PG_PASSWORD@$HOST:$PG_PORT/$PG_DB
export REDIS_URL=redis://$HOST:$REDIS_PORT
export S3_ENDPOINT=http://$HOST:$S3_PORT
export S3_REGION=$S3_REGION
export S3_ACCESS_KEY=$S3_ACCESS_KEY
export S3_SECRET_KEY=$S3_SECRET_KEY
EOF
}

# Check every port before starting anything, so that a conflict does not
# leave half of the stack started, and all conflicts are reported at once.
preflight() {
  local problems=() server port rc=0
  if ! pg_ok && port_open "$PG_PORT" && ! pg_running_here; then
    problems+=("postgres: port $PG_PORT is in use by something that does not accept $PG_USER/$PG_PASSWORD on database $PG_DB")
  fi
  if ! redis_ok && port_open "$REDIS_PORT"; then
    problems+=("redis: port $REDIS_PORT is in use by something that does not answer an unauthenticated PING")
  fi
  if ! memcached_ok && port_open "$MEMCACHED_PORT"; then
    problems+=("memcached: port $MEMCACHED_PORT is in use by something that is not memcached")
  fi
  s3_ok || rc=$?
  if (( rc == 3 )); then
    problems+=("s3: http://$HOST:$S3_PORT rejects access key '$S3_ACCESS_KEY' with our secret; it is not this project's object store")
  fi
  for server in "${SWIFT_SERVERS[@]}" proxy; do
    port=$(swift_port "$server")
    if ! swift_health_ok "$server" && port_open "$port" &&
      ! pid_matches "$SWIFT_RUN/$server-server.pid" "$(swift_pattern "$server")"; then
      problems+=("swift-$server: port $port is in use by something that is not a Swift $server server")
    fi
  done
  (( ${#problems[@]} == 0 )) && return 0
  local problem
  for problem in "${problems[@]}"; do log "ERROR: $problem"; done
  die "${#problems[@]} port conflict(s), nothing was started (inspect with: ss -ltnp)"
}

take_lock() {
  exec 9>>"$LOCK_FILE"
  flock -w 300 9 || die "another services.sh is still running (lock: $LOCK_FILE)"
}

cmd_up() {
  take_lock
  local started=$SECONDS
  ensure_packages
  preflight
  pg_up
  redis_up
  s3_up
  log "all services ready in $((SECONDS - started))s"
  print_env
}

cmd_down() {
  take_lock
  s3_down
  redis_down
  # Only postgres needs the packages to stop; skip it on a machine without them.
  if [[ -x $PG_BIN/pg_ctl ]]; then pg_down; else log "postgres: not installed"; fi
}

# status_line NAME ENDPOINT CHECK...: prints one line, returns CHECK's verdict.
status_line() {
  local name=$1 endpoint=$2; shift 2
  if "$@" >/dev/null 2>&1; then
    printf '%-16s up    %s\n' "$name" "$endpoint"
  else
    printf '%-16s down  %s\n' "$name" "$endpoint"
    return 1
  fi
}

cmd_status() {
  local rc=0
  status_line postgres "$HOST:$PG_PORT" pg_ok || rc=1
  status_line redis "$HOST:$REDIS_PORT" redis_ok || rc=1
  if [[ -x $PYTHON ]]; then
    status_line memcached "$HOST:$MEMCACHED_PORT" memcached_ok || rc=1
    status_line swift-account "$HOST:$SWIFT_ACCOUNT_PORT" swift_health_ok account || rc=1
    status_line swift-container "$HOST:$SWIFT_CONTAINER_PORT" swift_health_ok container || rc=1
    status_line swift-object "$HOST:$SWIFT_OBJECT_PORT" swift_health_ok object || rc=1
    status_line s3 "http://$HOST:$S3_PORT" s3_ok || rc=1
  else
    printf '%-16s down  %s\n' s3 "http://$HOST:$S3_PORT (python3/swift not installed)"
    rc=1
  fi
  return "$rc"
}

usage() {
  echo "usage: $0 up|down|status|env" >&2
  exit 2
}

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) print_env ;;
  *) usage ;;
esac
