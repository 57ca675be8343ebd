#!/usr/bin/env python3
"""A statement-counting TCP proxy in front of PostgreSQL, for bench/run.sh (standard library).

  pgcount.py LISTEN_PORT UPSTREAM_HOST UPSTREAM_PORT LOG

Listens on 127.0.0.1:LISTEN_PORT and relays every connection to UPSTREAM unchanged, reading
the client's side of the wire protocol as it passes. Each statement a client has PostgreSQL
run is appended to LOG as one line: `CONNECTION KIND SQL`, where KIND is `Q` for a simple
query and `E` for an Execute of the extended protocol (its SQL taken from the Parse and Bind
that named it), so `wc -l` before and after a number of requests counts the statements they
caused, transaction control included, with no server setting changed. The proxy answers
SSL and GSSAPI encryption requests with `N` itself: the traffic must stay readable.
"""

import asyncio
import struct
import sys

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104


class Counter:
    def __init__(self, log_path):
        self.log = open(log_path, "a", encoding="utf-8", buffering=1)
        self.connections = 0

    def record(self, connection, kind, sql):
        self.log.write(f"{connection} {kind} {' '.join(sql.split())[:4000]}\n")


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


def cstring(body, start):
    end = body.index(b"\0", start)
    return body[start:end].decode("utf-8", "replace"), end + 1


async def client_side(counter, number, reader, writer, upstream):
    """Relays the client's messages, recording the statements among them."""
    statements = {}  # prepared statement name -> SQL
    portals = {}  # portal name -> SQL
    try:
        # Untyped messages first: SSL/GSSAPI requests (answered here), then the startup.
        while True:
            header = await reader.readexactly(8)
            length, code = struct.unpack("!ii", header)
            rest = await reader.readexactly(length - 8)
            if code in (SSL_REQUEST, GSSENC_REQUEST):
                writer.write(b"N")
                await writer.drain()
                continue
            upstream.write(header + rest)
            break
        while True:
            kind = await reader.readexactly(1)
            (length,) = struct.unpack("!i", await reader.readexactly(4))
            body = await reader.readexactly(length - 4)
            if kind == b"Q":
                counter.record(number, "Q", cstring(body, 0)[0])
            elif kind == b"P":
                name, at = cstring(body, 0)
                statements[name] = cstring(body, at)[0]
            elif kind == b"B":
                portal, at = cstring(body, 0)
                portals[portal] = statements.get(cstring(body, at)[0], "?")
            elif kind == b"E":
                counter.record(number, "E", portals.get(cstring(body, 0)[0], "?"))
            upstream.write(kind + struct.pack("!i", length) + body)
            await upstream.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        upstream.close()


async def main(listen_port, host, port, log_path):
    counter = Counter(log_path)

    async def accept(reader, writer):
        counter.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(host, port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(
            client_side(counter, counter.connections, reader, writer, up_writer),
            pipe(up_reader, writer),
        )

    server = await asyncio.start_server(accept, "127.0.0.1", listen_port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    asyncio.run(main(int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]))
