"""A correct echo_www on asyncio streams: readuntil the head's empty line, 400 for a malformed request line, the
target echoed raw and HTML-escaped, headers only for HEAD.

expect: pass
"""

import asyncio
import contextlib
import html
import sys

port, prefix = int(sys.argv[1]), sys.argv[2]


async def serve(reader, writer):
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        method, target, version = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
        if not version.startswith("HTTP/"):
            raise ValueError(version)
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        writer.close()
        return
    except ValueError:
        method, status, kind, body = "GET", "400 Bad Request", "text/plain", b"bad request\n"
    else:
        status, kind = "200 OK", "text/html; charset=utf-8"
        body = f"<!DOCTYPE html>\n<p>{html.escape(prefix + ': ' + target)}</p>\n".encode()
    writer.write(f"HTTP/1.0 {status}\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n\r\n".encode())
    if method != "HEAD":
        writer.write(body)
    with contextlib.suppress(ConnectionError):
        await writer.drain()
    writer.close()


async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", port)
    await server.serve_forever()


asyncio.run(main())
