#!/usr/bin/env bash
# One database against two sources: the same data in one PostgreSQL database, and split into
# KI's (PostgreSQL) and KUH's (a second PostgreSQL database), each served by its own
# atmp-graph on this machine, in one run. For the README's example queries and the benchmark's
# query shapes it checks that both servers answer the same, then measures each with wrk:
# req/s at CONNECTIONS connections and p50 at one. Prints a Markdown table; files in
# bench/out/sources/ (git-ignored).
#
# Needs: PostgreSQL at 127.0.0.1:5432 (trust auth, user postgres), wrk, jq, curl, python3.
# Settings (environment): UNITS=2000 CLEANROOMS_PER_UNIT=2 PEOPLE_PER_UNIT=10 SEED=1 DURATION=5
# CONNECTIONS=32 THREADS=2, and ONLY (a pattern: only the queries whose names match it).
set -euo pipefail
cd "$(dirname "$0")/.."

UNITS=${UNITS:-2000}
CLEANROOMS_PER_UNIT=${CLEANROOMS_PER_UNIT:-2}
PEOPLE_PER_UNIT=${PEOPLE_PER_UNIT:-10}
SEED=${SEED:-1}
DURATION=${DURATION:-5}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
PG=postgres://postgres@127.0.0.1:5432
OUT=bench/out/sources
mkdir -p "$OUT"
BIN=target/release/atmp-graph
command -v wrk >/dev/null || { echo "installing wrk with apt-get" >&2; apt-get install -y -qq wrk >/dev/null; }

echo "building atmp-graph (release)" >&2
cargo build --release --quiet

for db in atmp_bench_one atmp_bench_ki atmp_bench_kuh; do
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
done
ONE=(--database-url "$PG/atmp_bench_one?sslmode=disable")
TWO=(--source "KI=$PG/atmp_bench_ki?sslmode=disable" --source "KUH=$PG/atmp_bench_kuh?sslmode=disable")
GENERATE=(generate --units "$UNITS" --cleanrooms-per-unit "$CLEANROOMS_PER_UNIT" --people-per-unit "$PEOPLE_PER_UNIT" --seed "$SEED")
echo "generating $UNITS units into one database and into two" >&2
"$BIN" "${ONE[@]}" "${GENERATE[@]}" 2>"$OUT/generate-one.log"
"$BIN" "${TWO[@]}" "${GENERATE[@]}" 2>"$OUT/generate-two.log"
# The planner's statistics, as bench/run.sh does: without them (autovacuum may be off) each
# database plans by its own guesses, and the comparison measures those.
for db in atmp_bench_one atmp_bench_ki atmp_bench_kuh; do
  psql "$PG/$db" -qc "VACUUM (ANALYZE)"
done

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# wrk sends every request from one address: no rate limit, as in bench/run.sh.
export ATMP_RATE_LIMIT_PUBLIC=off ATMP_RATE_LIMIT_PARTNER=off ATMP_RATE_LIMIT_STAFF=off ATMP_RATE_LIMIT_ADMIN=off
PORT_ONE=$(free_port)
PORT_TWO=$(free_port)
RUST_LOG=warn "$BIN" "${ONE[@]}" --listen "127.0.0.1:$PORT_ONE" 2>"$OUT/server-one.log" &
PID_ONE=$!
RUST_LOG=warn "$BIN" "${TWO[@]}" --listen "127.0.0.1:$PORT_TWO" 2>"$OUT/server-two.log" &
PID_TWO=$!
trap 'kill $PID_ONE $PID_TWO 2>/dev/null || true' EXIT
for port in "$PORT_ONE" "$PORT_TWO"; do
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break
    sleep 0.2
  done
  curl -sf "http://127.0.0.1:$port/ready" >/dev/null || { echo "a server did not start" >&2; exit 1; }
done

# p50 in ms and req/s of a wrk run's output.
p50() { awk '$1 == "50%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } printf "%.2f", v }' "$1"; }
rate() { awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$1"; }
ratio() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(f'{a / b:.2f}' if b else '-')" "$1" "$2"; }

printf '| query | same answer | req/s one db | req/s two sources | two / one | p50 one db (ms) | p50 two sources (ms) | two / one |\n'
printf '|---|---|---|---|---|---|---|---|\n'
for file in examples/*.graphql bench/queries/*.graphql; do
  name=$(basename "$file" .graphql)
  [[ -n ${ONLY:-} && ! $name =~ $ONLY ]] && continue
  body="$OUT/body-$name.json"
  python3 bench/gql.py body "$file" >"$body"
  for side in one two; do
    port=$PORT_ONE; [[ $side == two ]] && port=$PORT_TWO
    curl -s -H 'Content-Type: application/json' -H 'Accept: application/graphql-response+json' \
      --data @"$body" "http://127.0.0.1:$port/graphql" | jq -S . >"$OUT/answer-$name-$side.json"
  done
  if cmp -s "$OUT/answer-$name-one.json" "$OUT/answer-$name-two.json" \
    && ! jq -e '.errors' "$OUT/answer-$name-one.json" >/dev/null; then
    same=yes
  else
    same=NO
  fi
  for side in one two; do
    port=$PORT_ONE; [[ $side == two ]] && port=$PORT_TWO
    url="http://127.0.0.1:$port/graphql"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s bench/graphql.lua "$url" -- "$body" >"$OUT/wrk-$name-$side-c$CONNECTIONS.txt"
    wrk -t1 -c1 -d"${DURATION}s" --latency -s bench/graphql.lua "$url" -- "$body" >"$OUT/wrk-$name-$side-c1.txt"
  done
  r1=$(rate "$OUT/wrk-$name-one-c$CONNECTIONS.txt"); r2=$(rate "$OUT/wrk-$name-two-c$CONNECTIONS.txt")
  l1=$(p50 "$OUT/wrk-$name-one-c1.txt"); l2=$(p50 "$OUT/wrk-$name-two-c1.txt")
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$same" "$r1" "$r2" "$(ratio "$r2" "$r1")" "$l1" "$l2" "$(ratio "$l2" "$l1")"
done
