#!/usr/bin/env bash
# Composes atmp-graph (served with --federation) and the sample partner subgraph
# (partner/supply.mjs) with @apollo/composition, serves the supergraph with @apollo/gateway, runs
# one query through it that needs both subgraphs, checks the answer, and stops everything.
#
# Usage: federation/compose.sh   (builds atmp-graph with cargo, debug; honours CARGO_TARGET_DIR;
#                                 ATMP_GRAPH_BIN=path skips the build)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
work=$(mktemp -d "${TMPDIR:-/tmp}/atmp-federation.XXXXXX")
pids=()

stop_all() {
    local status=$?
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [[ $status -ne 0 ]]; then
        for log in "$work"/*.log; do
            [[ -s $log ]] && { echo "--- $(basename "$log")"; tail -n 40 "$log"; }
        done
    fi
    rm -rf "$work"
}
trap stop_all EXIT

# A TCP port nothing listens on now.
free_port() {
    node -e 'const s = require("net").createServer();
             s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# Waits until `url` answers `query` with data (GraphQL over POST), or fails after 60 s.
wait_for() {
    local name=$1 url=$2 query=$3
    for _ in $(seq 1 120); do
        if curl -sf -H 'content-type: application/json' -d "{\"query\":\"$query\"}" "$url" \
            | grep -q '"data"'; then
            return 0
        fi
        sleep 0.5
    done
    echo "$name did not answer at $url" >&2
    return 1
}

if [[ -z ${ATMP_GRAPH_BIN:-} ]]; then
    echo "building atmp-graph"
    (cd "$root" && cargo build --quiet --bin atmp-graph)
    ATMP_GRAPH_BIN="${CARGO_TARGET_DIR:-$root/target}/debug/atmp-graph"
fi
if [[ ! -d $here/node_modules ]]; then
    echo "installing the pinned npm packages"
    (cd "$here" && npm ci --no-audit --no-fund --silent)
fi

atmp_port=$(free_port)
supply_port=$(free_port)
gateway_port=$(free_port)

echo "starting atmp-graph --federation on 127.0.0.1:$atmp_port (SQLite in $work)"
DATABASE_URL="sqlite://$work/atmp.db?mode=rwc" "$ATMP_GRAPH_BIN" --federation \
    --listen "127.0.0.1:$atmp_port" >"$work/atmp-graph.log" 2>&1 &
pids+=($!)
echo "starting the partner subgraph (supply) on 127.0.0.1:$supply_port"
PORT=$supply_port node "$here/partner/supply.mjs" >"$work/supply.log" 2>&1 &
pids+=($!)
wait_for atmp-graph "http://127.0.0.1:$atmp_port/graphql" "{ _service { sdl } }"
wait_for supply "http://127.0.0.1:$supply_port/" "{ _service { sdl } }"

node "$here/compose.mjs" "$work/supergraph.graphql" \
    "atmp=http://127.0.0.1:$atmp_port/graphql" \
    "supply=http://127.0.0.1:$supply_port/"

echo "starting @apollo/gateway on 127.0.0.1:$gateway_port"
PORT=$gateway_port node "$here/gateway.mjs" "$work/supergraph.graphql" >"$work/gateway.log" 2>&1 &
pids+=($!)
wait_for gateway "http://127.0.0.1:$gateway_port/" "{ __typename }"

node "$here/query.mjs" "http://127.0.0.1:$gateway_port/"
