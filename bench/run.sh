#!/usr/bin/env bash
# bench/run.sh — load benchmark of atmp-graph against PostgreSQL, run from the repo root.
#
# What it does (about 2 minutes with the defaults when the release build is up to date, plus
# the build itself: 4-5 minutes from cold on 2 cores; every load phase lasts DURATION seconds
# after a WARMUP-second warm-up that is not measured):
#   1. installs wrk if missing (apt-get), checks pgbench, psql, curl, jq and python3, starts the
#      local PostgreSQL cluster if `pg_isready -h 127.0.0.1` fails, `cargo build --release`;
#   2. recreates the database $DB_NAME (default atmp_bench), runs `atmp-graph generate`
#      (seed dataset + UNITS generated units, 5 cleanrooms and 5 people each, so the default
#      2000 units give >= 10 000 cleanrooms), then VACUUM ANALYZE;
#   3. starts `atmp-graph serve` on 127.0.0.1 (first free port from BENCH_PORT), waits for
#      GET /health, and always stops it on exit;
#   4. drives POST /graphql with wrk (bench/graphql.lua, CONNECTIONS connections, THREADS
#      threads, --latency), bodies built from the .graphql files by bench/gql.py:
#        a. examples/08-cleanroom-list.graphql, page 1 (100 cleanrooms + unit + institution),
#        b. the same query at the deepest full page (cursor found by walking every page),
#        c. bench/queries/units-nested.graphql (100 units -> cleanrooms, people -> appointments);
#      each is first checked once with curl + jq (no "errors", 100 nodes), and under load
#      every response is checked for a non-2xx status or an "errors" member in its body;
#   5. reads the server's peak RSS (VmHWM in /proc/PID/status) after the load;
#   6. runs pgbench (-n -M prepared -c CONNECTIONS -j 2 -T DURATION) on bench/cleanroom-page.sql,
#      the same rows as (a) in one hand-written join, and on bench/out/server-statements.sql,
#      the three statements the server itself sends for (a) (unless PGBENCH_SERVER_SQL=0);
#   7. prints a markdown summary with the targets, also written to bench/out/summary.md.
#
# Settings (environment variables):
#   DURATION=20          seconds per measured load phase (wrk and pgbench alike)
#   WARMUP=3             seconds of unmeasured load before each phase (0 to skip)
#   CONNECTIONS=32       wrk connections / pgbench clients
#   THREADS=2            wrk threads (pgbench always uses -j 2)
#   UNITS=2000           generated units (x5 cleanrooms each)
#   DB_NAME=atmp_bench   database to (re)create; PostgreSQL at PGHOST_BENCH:PGPORT_BENCH
#   PGHOST_BENCH=127.0.0.1 PGPORT_BENCH=5432 PGUSER_BENCH=postgres
#   BENCH_PORT=8123      first port tried for the server (always on 127.0.0.1)
#   BUILD=1              0 to skip `cargo build --release` and use the existing binary
#   MAX_WALK_PAGES=1000  cap on the pages walked to find the deep cursor
#   NESTED_QUERY=bench/queries/units-nested.graphql   query (c); its top field must be `units`
#   PGBENCH_SERVER_SQL=1 0 to skip the second pgbench run (the server's own statements)
#   ATMP_*               passed through to the server, e.g. ATMP_DB_CONNECTIONS=16,
#                        ATMP_LOADER_DELAY_MS=10 (the server's defaults when unset)
#
# Outputs in bench/out/ (git-ignored): summary.md, wrk-*.txt, pgbench-*.txt, server.log,
# generate.log, build.log, the request bodies and one verified response of each query.
# Exit status: 0 when the run completed and every response was correct (the performance
# targets are reported, not enforced); 1 when something broke or a response was wrong.

set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
BENCH=$ROOT/bench
OUT=$BENCH/out

DURATION=${DURATION:-20}
WARMUP=${WARMUP:-3}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
UNITS=${UNITS:-2000}
DB_NAME=${DB_NAME:-atmp_bench}
PG_HOST=${PGHOST_BENCH:-127.0.0.1}
PG_PORT=${PGPORT_BENCH:-5432}
PG_USER=${PGUSER_BENCH:-postgres}
BENCH_PORT=${BENCH_PORT:-8123}
BUILD=${BUILD:-1}
MAX_WALK_PAGES=${MAX_WALK_PAGES:-1000}
NESTED_QUERY=${NESTED_QUERY:-bench/queries/units-nested.graphql}
PGBENCH_SERVER_SQL=${PGBENCH_SERVER_SQL:-1}

LIST_QUERY=examples/08-cleanroom-list.graphql
LUA=$BENCH/graphql.lua
BIN=$ROOT/target/release/atmp-graph
DB_URL="postgres://$PG_USER@$PG_HOST:$PG_PORT/$DB_NAME"
MIN_CLEANROOMS=10000
CLK_TCK=$(getconf CLK_TCK)
NCPU=$(nproc)

SERVER_PID=""
FAILED=0          # a correctness problem: non-2xx, errors in bodies, failed checks
NOTES=()          # odd things worth reading next to the figures

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
note() { NOTES+=("$*"); log "note: $*"; }
problem() { FAILED=1; NOTES+=("**${*}**"); log "PROBLEM: $*"; }

stop_server() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
trap stop_server EXIT
trap 'exit 130' INT TERM

for v in DURATION WARMUP CONNECTIONS THREADS UNITS BENCH_PORT MAX_WALK_PAGES; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number, not '${!v}'"
done
(( DURATION > 0 && CONNECTIONS > 0 && THREADS > 0 )) || die "DURATION, CONNECTIONS and THREADS must be positive"
(( CONNECTIONS >= THREADS )) || die "wrk needs CONNECTIONS >= THREADS"
[[ $DB_NAME =~ ^[a-z_][a-z0-9_]*$ ]] || die "DB_NAME must be a plain lower-case identifier"
[[ -f $NESTED_QUERY ]] || die "no query file $NESTED_QUERY"
[[ -f $LIST_QUERY ]] || die "no query file $LIST_QUERY"

mkdir -p "$OUT"
rm -f "$OUT"/wrk-*.txt "$OUT"/pgbench-*.txt "$OUT"/summary.md "$OUT"/response-*.json
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
for tool in wrk jq pgbench psql pg_isready curl python3 cargo; do
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
  log "cargo build --release (log: bench/out/build.log)"
  build_start=$(date +%s)
  if ! cargo build --release >"$OUT/build.log" 2>&1; then
    tail -n 40 "$OUT/build.log" >&2
    die "cargo build --release failed (BUILD=0 reuses an existing binary)"
  fi
  BUILD_SECONDS=$(( $(date +%s) - build_start ))
fi
[[ -x $BIN ]] || die "no binary at $BIN"
GIT_REV=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- src entities migration Cargo.toml 2>/dev/null || GIT_REV="$GIT_REV+uncommitted changes"

# ------------------------------------------------------------------ 2. database and data
psql_db() { psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -v ON_ERROR_STOP=1 -qAtX "$@"; }

log "recreating database $DB_NAME"
psql_db -d postgres -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)"
psql_db -d postgres -c "CREATE DATABASE $DB_NAME"

log "generating $UNITS units (log: bench/out/generate.log)"
gen_start=$(date +%s.%N)
if ! "$BIN" --database-url "$DB_URL" generate --units "$UNITS" \
      --cleanrooms-per-unit 5 --people-per-unit 5 >"$OUT/generate.log" 2>&1; then
  tail -n 40 "$OUT/generate.log" >&2
  die "atmp-graph generate failed"
fi
GEN_SECONDS=$(awk -v a="$gen_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
psql_db -d "$DB_NAME" -c "VACUUM (ANALYZE)"

read -r N_CLEANROOMS N_UNITS N_PEOPLE N_APPOINTMENTS N_INSTITUTIONS < <(psql_db -d "$DB_NAME" -F ' ' -c \
  "SELECT (SELECT count(*) FROM cleanroom), (SELECT count(*) FROM unit),
          (SELECT count(*) FROM person), (SELECT count(*) FROM appointment),
          (SELECT count(*) FROM institution)")
DB_SIZE=$(psql_db -d "$DB_NAME" -c "SELECT pg_size_pretty(pg_database_size(current_database()))")
log "data: $N_CLEANROOMS cleanrooms, $N_UNITS units, $N_PEOPLE people, $N_APPOINTMENTS appointments ($DB_SIZE) in ${GEN_SECONDS}s"
(( N_CLEANROOMS >= MIN_CLEANROOMS )) ||
  note "only $N_CLEANROOMS cleanrooms (< $MIN_CLEANROOMS): raise UNITS for deeper pages"

# ------------------------------------------------------------------ 3. the server
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=$BENCH_PORT
while port_in_use "$PORT"; do
  PORT=$((PORT + 1))
  (( PORT < BENCH_PORT + 100 )) || die "no free port in $BENCH_PORT..$((BENCH_PORT + 99))"
done
URL="http://127.0.0.1:$PORT/graphql"

log "starting the server on 127.0.0.1:$PORT (log: bench/out/server.log)"
"$BIN" --database-url "$DB_URL" --listen "127.0.0.1:$PORT" serve >"$OUT/server.log" 2>&1 &
SERVER_PID=$!
[[ $(readlink "/proc/$SERVER_PID/exe" 2>/dev/null) == "$BIN"* ]] || die "PID $SERVER_PID is not the server"
ready=0
for _ in $(seq 600); do
  kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 40 "$OUT/server.log" >&2; SERVER_PID=""; die "the server exited at startup"; }
  if curl -fsS --max-time 2 "http://127.0.0.1:$PORT/health" 2>/dev/null | grep -q '"ok"'; then ready=1; break; fi
  sleep 0.1
done
(( ready )) || die "the server did not report healthy within 60 s"
server_alive() { [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; }
status_kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$SERVER_PID/status"; }
RSS_IDLE_KB=$(status_kb VmRSS)
DB_POOL=${ATMP_DB_CONNECTIONS:-16}
LOADER_DELAY=${ATMP_LOADER_DELAY_MS:-10}

# ------------------------------------------------------------------ 4. request bodies and checks
log "building request bodies"
python3 "$BENCH/gql.py" body "$LIST_QUERY" >"$OUT/body-list-page1.json"
python3 "$BENCH/gql.py" body "$NESTED_QUERY" >"$OUT/body-nested.json"

log "walking $LIST_QUERY page by page for the deepest full page (at most $MAX_WALK_PAGES pages)"
python3 "$BENCH/gql.py" walk "$URL" "$LIST_QUERY" "$MAX_WALK_PAGES" >"$OUT/walk.json" ||
  die "walking the cleanroom pages failed"
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
python3 "$BENCH/gql.py" body "$LIST_QUERY" "$(jq -c '{after: .cursor}' "$OUT/walk.json")" >"$OUT/body-list-deep.json"
log "deep page: page $DEEP_PAGE of $WALK_PAGES (after row $DEEP_ROWS_BEFORE), walked in ${WALK_SECONDS}s"

declare -A CHECK_MS=()
# verify NAME BODY JQ_PATH: one request with curl; 200, no "errors", exactly 100 nodes at JQ_PATH.
verify() {
  local name=$1 body=$2 path=$3 response="$OUT/response-$1.json" result code seconds nodes
  result=$(curl -sS --max-time 30 -o "$response" -w '%{http_code} %{time_total}' \
    -H 'Content-Type: application/json' -H 'Accept: application/graphql-response+json' \
    --data-binary "@$body" "$URL") || { problem "($name) curl failed"; return 0; }
  read -r code seconds <<<"$result"
  CHECK_MS[$name]=$(awk -v s="$seconds" 'BEGIN { printf "%.1f", s * 1000 }')
  nodes=$(jq -r "($path | length)" "$response" 2>/dev/null || echo "?")
  if [[ $code != 200 ]] || jq -e 'has("errors")' "$response" >/dev/null 2>&1 || [[ $nodes != 100 ]]; then
    problem "($name) check failed: HTTP $code, $nodes nodes, body: $(head -c 400 "$response")"
  else
    log "($name) check ok: HTTP 200, no errors, 100 nodes, ${CHECK_MS[$name]} ms unloaded"
  fi
}
verify list-page1 "$OUT/body-list-page1.json" '.data.cleanrooms.nodes'
verify list-deep "$OUT/body-list-deep.json" '.data.cleanrooms.nodes'
verify nested "$OUT/body-nested.json" '.data.units.nodes'
if [[ -f $OUT/response-list-page1.json && -f $OUT/response-list-deep.json ]] &&
   [[ $(jq -r '.data.cleanrooms.nodes[0].code // ""' "$OUT/response-list-page1.json") == \
      $(jq -r '.data.cleanrooms.nodes[0].code // ""' "$OUT/response-list-deep.json") ]]; then
  problem "the deep page starts with the same cleanroom as page 1: the cursor was ignored"
fi

# ------------------------------------------------------------------ CPU accounting helpers
# Machine: /proc/stat ticks (all CPUs); server: utime+stime of its PID; wrk/pgbench: bash `time`.
machine_ticks() { awk '/^cpu / { print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6 }' /proc/stat; }
server_ticks() { sed 's/^.*) //' "/proc/$SERVER_PID/stat" | awk '{ print $12 + $13 }'; }
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

# ------------------------------------------------------------------ 4. load with wrk
# run_wrk NAME BODY: warm-up, then DURATION seconds measured; fills the result arrays.
run_wrk() {
  local name=$1 body=$2 out="$OUT/wrk-$1.txt" t0 i0 s0 t1 i1 s1 driver line
  server_alive || die "the server is gone before phase $name (see bench/out/server.log)"
  if (( WARMUP > 0 )); then
    wrk -t "$THREADS" -c "$CONNECTIONS" -d "${WARMUP}s" -s "$LUA" "$URL" -- "$body" >/dev/null 2>&1 || true
  fi
  FOREIGN[$name]=$(foreign_load)
  log "($name) wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency"
  read -r t0 i0 < <(machine_ticks); s0=$(server_ticks)
  local TIMEFORMAT='%U %S'
  { time wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --timeout 10s --latency \
      -s "$LUA" "$URL" -- "$body" >"$out" 2>&1 ; } 2>"$out.time" || die "wrk failed in phase $name: $(tail -n 5 "$out")"
  read -r t1 i1 < <(machine_ticks)
  server_alive || problem "($name) the server died during the load (see bench/out/server.log)"
  s1=$(server_ticks 2>/dev/null || echo "$s0")
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

kb_to_mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

run_wrk list-page1 "$OUT/body-list-page1.json"
run_wrk list-deep "$OUT/body-list-deep.json"
# VmHWM only grows: read it before the heavier nested load, for the 100-row list's own peak.
RSS_LIST_PEAK_MB=$(kb_to_mb "$(status_kb VmHWM)")
run_wrk nested "$OUT/body-nested.json"

# ------------------------------------------------------------------ 5. peak RSS
server_alive || die "the server is gone after the load (see bench/out/server.log)"
RSS_PEAK_KB=$(status_kb VmHWM)
RSS_NOW_KB=$(status_kb VmRSS)
THREADS_SERVER=$(status_kb Threads)
RSS_PEAK_MB=$(kb_to_mb "$RSS_PEAK_KB")
log "server RSS: idle $(kb_to_mb "$RSS_IDLE_KB") MB, peak (VmHWM) $RSS_PEAK_MB MB, now $(kb_to_mb "$RSS_NOW_KB") MB"
# Log lines carry ANSI colours, so no word boundaries here.
if grep -qE 'ERROR|panicked' "$OUT/server.log"; then
  problem "the server logged errors: $(grep -E 'ERROR|panicked' "$OUT/server.log" | head -n 3 | sed 's/\x1b\[[0-9;]*m//g' | cut -c1-300 | tr '\n' ' ')"
fi

# ------------------------------------------------------------------ 6. pgbench
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
if (( PGBENCH_SERVER_SQL )); then
  # The three statements the server sends for (a), as PostgreSQL logs them (log_statement=all),
  # with the IDs of page 1's units and institutions written in: the rows, then the batched
  # unit and institution loads.
  UNIT_IDS=$(psql_db -d "$DB_NAME" -c "SELECT string_agg(quote_literal(unit_id::text), ', ')
    FROM (SELECT DISTINCT unit_id FROM (SELECT unit_id FROM cleanroom ORDER BY code, id LIMIT 100) p) d")
  INSTITUTION_IDS=$(psql_db -d "$DB_NAME" -c "SELECT string_agg(DISTINCT quote_literal(institution_id::text), ', ')
    FROM unit WHERE id IN (SELECT unit_id FROM (SELECT unit_id FROM cleanroom ORDER BY code, id LIMIT 100) p)")
  cat >"$OUT/server-statements.sql" <<SQL
-- Generated by bench/run.sh: what atmp-graph runs for one request of (a), in its order.
SELECT * FROM cleanroom WHERE TRUE AND TRUE AND TRUE ORDER BY cleanroom.code ASC, cleanroom.id ASC LIMIT 101;
SELECT * FROM unit WHERE TRUE AND TRUE AND unit.id IN ($UNIT_IDS);
SELECT * FROM institution WHERE institution.id IN ($INSTITUTION_IDS);
SQL
  run_pgbench sql-server "$OUT/server-statements.sql"
fi

# ------------------------------------------------------------------ 7. summary
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }
verdict() { awk -v c="$1" 'BEGIN { if (c) print "PASS"; else print "FAIL" }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 <= b + 0) ? 1 : 0 }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 < b + 0) ? 1 : 0 }'; }

GQL_VS_PG=$(ratio "${RPS[list-page1]}" "${TPS[sql-join]}")
DEEP_P50_RATIO=$(ratio "${P50[list-deep]}" "${P50[list-page1]}")
DEEP_RPS_RATIO=$(ratio "${RPS[list-page1]}" "${RPS[list-deep]}")
ELAPSED=$(( $(date +%s) - START_EPOCH ))

declare -A SHORT=([list-page1]="(a) page 1" [list-deep]="(b) page $DEEP_PAGE" [nested]="(c) nested units")
declare -A LABEL=(
  [list-page1]="(a) 08 cleanroom list, page 1"
  [list-deep]="(b) 08 cleanroom list, page $DEEP_PAGE (after row $DEEP_ROWS_BEFORE)"
  [nested]="(c) $(basename "$NESTED_QUERY" .graphql): units(first: 100) → cleanrooms, people → appointments"
  [sql-join]="pgbench: one join, same rows as (a)"
  [sql-server]="pgbench: the server's 3 statements for (a)"
)

{
  echo "# atmp-graph benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Build $GIT_REV (release, built in ${BUILD_SECONDS}s); PostgreSQL $PG_VERSION (max_connections $PG_MAX_CONN); $NCPU CPU cores shared by"
  echo "wrk/pgbench, PostgreSQL and the server. Data: $N_CLEANROOMS cleanrooms, $N_UNITS units, $N_PEOPLE people,"
  echo "$N_APPOINTMENTS appointments ($DB_SIZE; UNITS=$UNITS generated in ${GEN_SECONDS}s). Load: $CONNECTIONS connections,"
  echo "$THREADS wrk threads / pgbench -j 2, ${DURATION}s per phase after ${WARMUP}s warm-up. Server: pool $DB_POOL"
  echo "connections, loader delay $LOADER_DELAY ms. CPU columns are cores busy on average (of $NCPU); \"rest\" is"
  echo "the machine's busy time not spent in the server or the load driver, which is mostly PostgreSQL."
  echo
  echo "| Load | req/s (tps) | p50 ms | p99 ms | non-2xx | error bodies / socket errors | KB per response | 1 request unloaded ms | server CPU | driver CPU | rest CPU |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for k in list-page1 list-deep nested; do
    printf '| %s | %s | %s | %s | %s | %s / %s | %s | %s | %s | %s | %s |\n' "${LABEL[$k]}" "${RPS[$k]}" "${P50[$k]}" \
      "${P99[$k]}" "${NON2XX[$k]}" "${BODYERR[$k]}" "${SOCKERR[$k]}" "${KB[$k]}" "${CHECK_MS[$k]:-n/a}" \
      "${CPU_SERVER[$k]}" "${CPU_DRIVER[$k]}" "${CPU_REST[$k]}"
  done
  for k in sql-join sql-server; do
    [[ -n ${TPS[$k]:-} ]] || continue
    printf '| %s | %s | %s (avg) | – | – | %s failed | – | – | – | %s | %s |\n' "${LABEL[$k]}" "${TPS[$k]}" \
      "${PG_LAT[$k]}" "${PG_FAILED[$k]:-0}" "${CPU_DRIVER[$k]}" "${CPU_REST[$k]}"
  done
  echo
  echo "| Target | Measured | Result |"
  echo "|---|---|---|"
  printf '| GraphQL (a) ≥ 0.5× pgbench rate | %s req/s ÷ %s tps = **%s×** | %s |\n' "${RPS[list-page1]}" \
    "${TPS[sql-join]}" "$GQL_VS_PG" "$(verdict "$(le 0.5 "$GQL_VS_PG")")"
  for k in list-page1 list-deep nested; do
    printf '| p99 < 100 ms at %s clients, %s | **%s ms** | %s |\n' "$CONNECTIONS" "${SHORT[$k]}" "${P99[$k]}" \
      "$(verdict "$(lt "${P99[$k]}" 100)")"
  done
  printf '| peak RSS < 150 MB serving the 100-row list, (a) and (b) (VmHWM; %s MB idle) | **%s MB** | %s |\n' \
    "$(kb_to_mb "$RSS_IDLE_KB")" "$RSS_LIST_PEAK_MB" "$(verdict "$(lt "$RSS_LIST_PEAK_MB" 150)")"
  printf '| (info) peak RSS after the nested load (c) too | %s MB | – |\n' "$RSS_PEAK_MB"
  printf '| deep page (page %s) within 1.2× of page 1 | p50 %s ms vs %s ms = **%s×**; req/s %s vs %s = **%s×** | %s |\n' \
    "$DEEP_PAGE" "${P50[list-deep]}" "${P50[list-page1]}" "$DEEP_P50_RATIO" "${RPS[list-page1]}" \
    "${RPS[list-deep]}" "$DEEP_RPS_RATIO" \
    "$(verdict "$(( $(le "$DEEP_P50_RATIO" 1.2) && $(le "$DEEP_RPS_RATIO" 1.2) ))")"
  printf '| every response 2xx without errors | %s | %s |\n' \
    "$(( NON2XX[list-page1] + NON2XX[list-deep] + NON2XX[nested] )) non-2xx, $(( BODYERR[list-page1] + BODYERR[list-deep] + BODYERR[nested] )) error bodies, $(( SOCKERR[list-page1] + SOCKERR[list-deep] + SOCKERR[nested] )) socket errors of $(( REQS[list-page1] + REQS[list-deep] + REQS[nested] ))" \
    "$(verdict "$(( FAILED == 0 ))")"
  if [[ -n ${TPS[sql-server]:-} ]]; then
    printf '| (info) GraphQL (a) vs pgbench of the server'"'"'s own 3 statements | %s req/s ÷ %s tps = **%s×** | – |\n' \
      "${RPS[list-page1]}" "${TPS[sql-server]}" "$(ratio "${RPS[list-page1]}" "${TPS[sql-server]}")"
  fi
  echo
  foreign=0
  for k in "${!FOREIGN[@]}"; do (( FOREIGN[$k] == 0 )) || foreign=1; done
  (( foreign == 0 )) || NOTES+=("compilers (rustc/cargo/cc/ld) were running during some phases (${!FOREIGN[*]}: ${FOREIGN[*]}); those figures are depressed")
  if (( ${#NOTES[@]} )); then
    echo "Notes:"
    for n in "${NOTES[@]}"; do echo "- $n"; done
    echo
  fi
  echo "Raw output: bench/out/wrk-*.txt, bench/out/pgbench-*.txt, bench/out/server.log. Run time ${ELAPSED}s."
} >"$OUT/summary.md"

echo
cat "$OUT/summary.md"
exit "$FAILED"
