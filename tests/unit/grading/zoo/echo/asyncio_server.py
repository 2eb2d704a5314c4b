"""A correct one-shot echo server on asyncio streams: one read of up to 1,024 bytes, one reply, close.

expect: pass
"""

import asyncio
import sys

port, prefix = int(sys.argv[1]), sys.argv[2].encode()


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        data = await reader.read(1024)
        if data:
            writer.write(prefix + b": " + data)
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
