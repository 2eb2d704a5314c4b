"""A correct concurrent echo server on asyncio streams; drain() holds up only the client that does not read.

expect: pass
"""

import asyncio
import sys

port, prefix = int(sys.argv[1]), sys.argv[2].encode() + b": "


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(1024):
            writer.write(prefix + data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


async def main() -> None:
    server = await asyncio.start_server(echo, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


asyncio.run(main())
