"""A correct chat server on asyncio streams: lines read with readline, written to every client's transport; a
client whose unsent output passes 256 KiB is dropped, so nobody waits for a client that does not read.

expect: pass
"""

import asyncio
import sys

port, prefix = int(sys.argv[1]), sys.argv[2]
LIMIT = 256 * 1024
writers: set[asyncio.StreamWriter] = set()


async def chat(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    tag = f"{prefix} {writer.get_extra_info('peername')[:2]}: ".encode()
    writers.add(writer)
    try:
        while line := await reader.readline():
            for other in list(writers):
                other.write(tag + line)
                if other.transport.get_write_buffer_size() > LIMIT:
                    writers.discard(other)
                    other.transport.abort()
    except (OSError, asyncio.LimitOverrunError, ValueError):
        pass
    finally:
        writers.discard(writer)
        writer.close()


async def main() -> None:
    server = await asyncio.start_server(chat, "127.0.0.1", port, limit=1 << 16)
    async with server:
        await server.serve_forever()


asyncio.run(main())
