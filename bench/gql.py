#!/usr/bin/env python3
"""Helpers for bench/run.sh (standard library only; talks to 127.0.0.1 only).

  gql.py body QUERY.graphql [VARIABLES_JSON]
      Prints the GraphQL-over-HTTP JSON body {"query": ..., "variables": ...} for a .graphql
      file; json.dumps does the escaping (quotes, newlines, comments stay intact).

  gql.py walk URL QUERY.graphql [MAX_PAGES]
      Pages through `cleanrooms` with QUERY (which must take `$after` and select
      `totalCount`, `pageInfo { hasNextPage endCursor }` and `nodes { code }`), checking each
      page has no errors and that codes never go backwards, and prints one JSON line:
      the cursor that starts the deepest full page, its page number, the rows before it,
      the pages walked, the rows seen and `totalCount`.

  gql.py walk-to URL QUERY.graphql LIST PAGE
      Pages through LIST (a root connection) with QUERY, which must take `$after` and select
      `pageInfo { hasNextPage endCursor }`, until PAGE is next, and prints one JSON line: the
      cursor that starts page PAGE and the rows before it.

  With BENCH_API_KEY set, walk and walk-to send it as `Authorization: Bearer …` (the
  cursors they find are sealed for that key).

  gql.py compare LEFT.json RIGHT.json
      Checks two servers' answers to twin queries hold the same rows: the same keys and
      values at every level, lists in the same order. Differences by design are set aside:
      cursors (`cursor`, `startCursor`, `endCursor`) are skipped, a list matches a connection
      holding only `nodes`, and an `id` that is base64 of `Type:uuid` (atmp-graph's global
      ID) is compared by its UUID. Prints what it compared, or the first differences and
      exits 1.
"""

import base64
import os
import re

import json
import sys
import time
import urllib.request


def body(path, variables=None):
    with open(path, encoding="utf-8") as f:
        query = f.read()
    payload = {"query": query}
    if variables is not None:
        payload["variables"] = variables
    return json.dumps(payload)


def headers():
    """The request headers: JSON both ways, and the API key in BENCH_API_KEY, if set."""
    result = {
        "Content-Type": "application/json",
        "Accept": "application/graphql-response+json",
    }
    key = os.environ.get("BENCH_API_KEY")
    if key:
        result["Authorization"] = f"Bearer {key}"
    return result


def post(url, payload):
    request = urllib.request.Request(
        url,
        data=payload.encode("utf-8"),
        headers=headers(),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, json.load(response)


def walk(url, query_file, max_pages):
    after = None
    pages = []  # (cursor before the page, nodes on it)
    seen = 0
    last_code = None
    total = None
    started = time.monotonic()
    finished = False
    while len(pages) < max_pages:
        status, result = post(url, body(query_file, {"after": after}))
        if status != 200 or result.get("errors"):
            sys.exit(f"walk: page {len(pages) + 1} failed ({status}): {json.dumps(result)[:500]}")
        connection = result["data"]["cleanrooms"]
        total = connection.get("totalCount", total)
        codes = [node["code"] for node in connection["nodes"]]
        for code in codes:
            # Keyset order is (code, id) under COLLATE "C": byte order, ties allowed.
            if last_code is not None and code.encode() < last_code.encode():
                sys.exit(f"walk: order broken on page {len(pages) + 1}: {code!r} after {last_code!r}")
            last_code = code
        pages.append((after, len(codes)))
        seen += len(codes)
        if not connection["pageInfo"]["hasNextPage"]:
            finished = True
            break
        after = connection["pageInfo"]["endCursor"]
    full = [i for i, (_, n) in enumerate(pages) if n == 100]
    if not full:
        sys.exit("walk: no full page of 100 rows")
    deepest = full[-1]
    print(
        json.dumps(
            {
                "cursor": pages[deepest][0],
                "page": deepest + 1,
                "rows_before": sum(n for _, n in pages[:deepest]),
                "pages_walked": len(pages),
                "rows_seen": seen,
                "total_count": total,
                "reached_end": finished,
                "seconds": round(time.monotonic() - started, 2),
            }
        )
    )


def walk_to(url, query_file, list_name, page):
    after = None
    rows = 0
    for number in range(1, page):
        status, result = post(url, body(query_file, {"after": after}))
        if status != 200 or result.get("errors"):
            sys.exit(f"walk-to: page {number} failed ({status}): {json.dumps(result)[:500]}")
        connection = result["data"][list_name]
        rows += len(connection["nodes"])
        if not connection["pageInfo"]["hasNextPage"]:
            sys.exit(f"walk-to: the list ends at page {number}, before page {page}")
        after = connection["pageInfo"]["endCursor"]
    print(json.dumps({"cursor": after, "rows_before": rows}))


CURSOR_KEYS = {"cursor", "startCursor", "endCursor"}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def plain_id(value):
    """The UUID inside an atmp-graph global ID (unpadded base64 of `Type:uuid`), else the value."""
    if isinstance(value, str) and not UUID.fullmatch(value):
        try:
            padded = value + "=" * (-len(value) % 4)
            decoded = base64.b64decode(padded, altchars=b"-_", validate=True).decode("utf-8")
        except ValueError:
            return value
        kind, _, uuid = decoded.partition(":")
        if kind and UUID.fullmatch(uuid):
            return uuid
    return value


def compare(left, right):
    differences = []
    counts = {"objects": 0, "ids": 0, "values": 0}

    def visit(a, b, path):
        if len(differences) >= 10:
            return
        # A plain list on one side, a connection with only `nodes` on the other.
        if isinstance(a, list) and isinstance(b, dict) and set(b) == {"nodes"}:
            b = b["nodes"]
        if isinstance(b, list) and isinstance(a, dict) and set(a) == {"nodes"}:
            a = a["nodes"]
        if isinstance(a, dict) and isinstance(b, dict):
            counts["objects"] += 1
            if set(a) != set(b):
                differences.append(f"{path}: keys {sorted(a)} vs {sorted(b)}")
                return
            for key in a:
                if key in CURSOR_KEYS:
                    continue
                if key == "id":
                    counts["ids"] += 1
                    if plain_id(a[key]) != plain_id(b[key]):
                        differences.append(f"{path}.id: {plain_id(a[key])} vs {plain_id(b[key])}")
                    continue
                visit(a[key], b[key], f"{path}.{key}")
        elif isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                differences.append(f"{path}: {len(a)} vs {len(b)} items")
            for i, (x, y) in enumerate(zip(a, b)):
                visit(x, y, f"{path}[{i}]")
        else:
            counts["values"] += 1
            if a != b:
                differences.append(f"{path}: {json.dumps(a)[:80]} vs {json.dumps(b)[:80]}")

    for name, answer in (("left", left), ("right", right)):
        if answer.get("errors") or "data" not in answer:
            sys.exit(f"compare: the {name} answer has errors: {json.dumps(answer)[:300]}")
    visit(left["data"], right["data"], "data")
    if differences:
        print("\n".join(differences))
        sys.exit(1)
    print(f"same rows: {counts['objects']} objects, {counts['ids']} IDs, {counts['values']} values")


def main(argv):
    if len(argv) >= 2 and argv[1] == "body":
        variables = json.loads(argv[3]) if len(argv) > 3 else None
        print(body(argv[2], variables))
    elif len(argv) >= 4 and argv[1] == "walk":
        walk(argv[2], argv[3], int(argv[4]) if len(argv) > 4 else 100000)
    elif len(argv) == 6 and argv[1] == "walk-to":
        walk_to(argv[2], argv[3], argv[4], int(argv[5]))
    elif len(argv) == 4 and argv[1] == "compare":
        with open(argv[2], encoding="utf-8") as a, open(argv[3], encoding="utf-8") as b:
            compare(json.load(a), json.load(b))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
