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
"""

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


def post(url, payload):
    request = urllib.request.Request(
        url,
        data=payload.encode("utf-8"),
        headers={
            "Content-Type": "application/json",
            "Accept": "application/graphql-response+json",
        },
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


def main(argv):
    if len(argv) >= 2 and argv[1] == "body":
        variables = json.loads(argv[3]) if len(argv) > 3 else None
        print(body(argv[2], variables))
    elif len(argv) >= 4 and argv[1] == "walk":
        walk(argv[2], argv[3], int(argv[4]) if len(argv) > 4 else 100000)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
