"""A correct recho server on asyncio: connections are accepted at once, but a lock gives the echo to one client
at a time, so a second client waits for the first to leave, as the course's serial server made it.

expect: pass
"""

import asyncio
import sys

port, prefix = int(sys.argv[1]), sys.argv[2].encode() + b": "


async def main() -> None:
    turn = asyncio.Lock()

    async def recho(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async with turn:
            try:
                while data := await reader.read(1024):
                    writer.write(prefix + data)
                    await writer.drain()
            except OSError:
                pass
            finally:
                writer.close()

    server = await asyncio.start_server(recho, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


asyncio.run(main())
