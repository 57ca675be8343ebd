#!/usr/bin/env bash
# Scale-out: the server keeps no state between requests (cursors carry their position), so N
# replicas over the same sources answer alike. This starts two atmp-graph processes over the
# same two sources (KI and KUH in SQLite files of their own), walks every page of a list
# taking the cursor from one replica and the next page from the other, in turn, and checks
# the walk equals the same walk on one replica. Needs curl and python3.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --quiet
BIN=target/release/atmp-graph
DIR=$(mktemp -d)
SOURCES=(--source "KI=sqlite://$DIR/ki.db?mode=rwc" --source "KUH=sqlite://$DIR/kuh.db?mode=rwc")
"$BIN" "${SOURCES[@]}" generate --units 40 2>"$DIR/generate.log"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORTS=("$(free_port)" "$(free_port)")
PIDS=()
for port in "${PORTS[@]}"; do
  RUST_LOG=warn "$BIN" "${SOURCES[@]}" --listen "127.0.0.1:$port" 2>>"$DIR/servers.log" &
  PIDS+=($!)
done
trap 'kill "${PIDS[@]}" 2>/dev/null || true; rm -rf "$DIR"' EXIT
for port in "${PORTS[@]}"; do
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break
    sleep 0.2
  done
done

python3 - "${PORTS[@]}" <<'EOF'
import json, sys, urllib.request

ports = sys.argv[1:]
QUERY = """query($after: String) { cleanrooms(first: 7, after: $after, orderBy: [{ field: UNIT_NAME }, { field: CODE, direction: DESC }]) {
  totalCount nodes { code unit { name institution { code } } } pageInfo { hasNextPage endCursor } } }"""

def page(port, after):
    body = json.dumps({"query": QUERY, "variables": {"after": after}}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", body,
        {"Content-Type": "application/json", "Accept": "application/graphql-response+json"})
    answer = json.load(urllib.request.urlopen(request))
    assert "errors" not in answer, answer
    return answer["data"]["cleanrooms"]

def walk(turns):
    rows, after, n = [], None, 0
    while True:
        current = page(turns[n % len(turns)], after)
        rows += current["nodes"]
        n += 1
        if not current["pageInfo"]["hasNextPage"]:
            return rows, current["totalCount"], n
        after = current["pageInfo"]["endCursor"]

alone, total, pages = walk(ports[:1])
in_turn, total_in_turn, _ = walk(ports)
assert len(alone) == total, (len(alone), total)
assert in_turn == alone and total_in_turn == total, "the replicas answered differently"
institutions = sorted({row["unit"]["institution"]["code"] for row in alone})
print(f"{pages} pages, {total} cleanrooms of {', '.join(institutions)}: the walk alternating between "
      f"replicas on ports {ports[0]} and {ports[1]} equals the walk on one")
EOF
