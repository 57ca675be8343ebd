#!/usr/bin/env bash
# bench/access.sh — what access costs, measured so that noise does not decide it: every atmp-graph
# query of bench/run.sh asked as the public and with a staff key of KI, alternately, ROUNDS
# times each, on one server; the median of each, and their ratio. bench/run.sh's one staff phase
# per query runs minutes after the public's, and on this 2-core machine two such phases differ by
# ±15 % with nothing changed; alternating short phases puts both under the same conditions.
#
# Run bench/run.sh first: this reuses its database ($DB_NAME, default atmp_bench), its request
# bodies (bench/out/body-atmp-*.json) and its release binary. The deep pages' cursors are walked
# again with this script's key (a cursor is sealed for the key it was made for).
#
# Settings: ROUNDS=5, SECONDS_PER_PHASE=4, CONNECTIONS=8, THREADS=2, PORT=8131,
#   DB_NAME=atmp_bench, SERVER_BIN (default target/release/atmp-graph), SHAPES (default all).
# Output: a markdown table on stdout, also in bench/out/access.md; the wrk outputs in
# bench/out/access/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=bench/out
ROUNDS=${ROUNDS:-5}
SECONDS_PER_PHASE=${SECONDS_PER_PHASE:-4}
CONNECTIONS=${CONNECTIONS:-8}
THREADS=${THREADS:-2}
PORT=${PORT:-8131}
DB_NAME=${DB_NAME:-atmp_bench}
BIN=${SERVER_BIN:-target/release/atmp-graph}
DB_URL="postgres://postgres@127.0.0.1:5432/$DB_NAME?sslmode=disable"
URL="http://127.0.0.1:$PORT/graphql"
read -r -a SHAPES <<<"${SHAPES:-list-page1 list-deep nested units-cleanrooms people-appointments institutions filtered across search grouped people-page1 people-page500}"
declare -A LETTER=([list-page1]=a [list-deep]=b [nested]=c [units-cleanrooms]=d [people-appointments]=e
  [institutions]=f [filtered]=g [across]=h [search]=i [grouped]=j [people-page1]=k [people-page500]=l)
export ATMP_RATE_LIMIT_PUBLIC=off ATMP_RATE_LIMIT_STAFF=off

die() { echo "access.sh: $*" >&2; exit 1; }
[[ -x $BIN ]] || die "no binary at $BIN: run bench/run.sh (or cargo build --release) first"
for k in "${SHAPES[@]}"; do [[ -f $OUT/body-atmp-$k.json ]] || die "no $OUT/body-atmp-$k.json: run bench/run.sh first"; done
mkdir -p "$OUT/access"

"$BIN" --database-url "$DB_URL" --listen "127.0.0.1:$PORT" serve >"$OUT/access/server.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null || die "the server did not get ready (see $OUT/access/server.log)"
KEY=$("$BIN" --database-url "$DB_URL" keys create --name "bench-access-$$" --role staff --institution KI 2>/dev/null | sed -n 's/^secret: //p')
[[ $KEY == atmp_* ]] || die "could not create the staff key"

gql() { python3 bench/gql.py "$@"; }
for k in "${SHAPES[@]}"; do cp "$OUT/body-atmp-$k.json" "$OUT/access/body-staff-$k.json"; done
if [[ " ${SHAPES[*]} " == *" list-deep "* ]]; then
  page=$(jq -r .page "$OUT/walk.json")
  BENCH_API_KEY=$KEY gql walk "$URL" examples/08-cleanroom-list.graphql "$page" >"$OUT/access/walk.json"
  gql body examples/08-cleanroom-list.graphql "$(jq -c '{after: .cursor}' "$OUT/access/walk.json")" >"$OUT/access/body-staff-list-deep.json"
fi
if [[ " ${SHAPES[*]} " == *" people-page500 "* ]]; then
  BENCH_API_KEY=$KEY gql walk-to "$URL" bench/queries/people-by-given-name.graphql people 500 >"$OUT/access/walk-people.json"
  gql body bench/queries/people-by-given-name.graphql "$(jq -c '{after: .cursor}' "$OUT/access/walk-people.json")" >"$OUT/access/body-staff-people-page500.json"
fi

# phase WHO SHAPE ROUND: one wrk phase; prints its req/s (0 if any response was not a clean 2xx).
phase() {
  local who=$1 k=$2 round=$3 body key="" out
  if [[ $who == staff ]]; then body="$OUT/access/body-staff-$k.json"; key=$KEY; else body="$OUT/body-atmp-$k.json"; fi
  out="$OUT/access/wrk-$who-$k-$round.txt"
  wrk -t "$THREADS" -c "$CONNECTIONS" -d "${SECONDS_PER_PHASE}s" --latency -s bench/graphql.lua "$URL" -- "$body" "$key" >"$out" 2>&1
  if ! grep -q 'non2xx=0 body_errors=0' "$out"; then echo 0; return; fi
  awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out"
}
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.0f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

{
  echo "Access cost: each query as the public and with a staff key of KI, alternately, $ROUNDS rounds of ${SECONDS_PER_PHASE}s at $CONNECTIONS connections each (bench/access.sh), $(date -u '+%Y-%m-%d %H:%M UTC'), atmp-graph $(git rev-parse --short HEAD)."
  echo
  echo "| query | public req/s (median) | staff req/s (median) | staff ÷ public | staff ÷ public per round |"
  echo "|---|---:|---:|---:|---|"
} | tee "$OUT/access.md"
for k in "${SHAPES[@]}"; do
  # One unmeasured warm-up of each.
  wrk -t "$THREADS" -c "$CONNECTIONS" -d 2s -s bench/graphql.lua "$URL" -- "$OUT/body-atmp-$k.json" >/dev/null 2>&1 || true
  wrk -t "$THREADS" -c "$CONNECTIONS" -d 2s -s bench/graphql.lua "$URL" -- "$OUT/access/body-staff-$k.json" "$KEY" >/dev/null 2>&1 || true
  public=() staff=() ratios=()
  for round in $(seq 1 "$ROUNDS"); do
    # Alternate which goes first, so that neither always follows the other.
    if (( round % 2 )); then p=$(phase public "$k" "$round"); s=$(phase staff "$k" "$round")
    else s=$(phase staff "$k" "$round"); p=$(phase public "$k" "$round"); fi
    (( p > 0 && s > 0 )) || die "($k) round $round: a response was not a clean 2xx (see $OUT/access/)"
    public+=("$p"); staff+=("$s")
    ratios+=("$(awk -v s="$s" -v p="$p" 'BEGIN { printf "%.2f", s / p }')")
  done
  mp=$(echo "${public[*]}" | median); ms=$(echo "${staff[*]}" | median)
  ratio=$(awk -v s="$ms" -v p="$mp" 'BEGIN { printf "%.2f", s / p }')
  echo "| (${LETTER[$k]:-?}) $k | $mp | $ms | **$ratio** | ${ratios[*]} |" | tee -a "$OUT/access.md"
done
