#!/usr/bin/env python3
"""A TCP proxy that delays every byte by DELAY_MS in each direction: a network round trip of
2 x DELAY_MS between a client and a server on this machine, for scripts/bench.sh's remote
cluster (this machine's kernel has no netem). TCP's own handshake with the proxy is not
delayed, for either side of a comparison.

    delay-proxy.py LISTEN_PORT TARGET_HOST:TARGET_PORT DELAY_MS   # runs until killed
"""
import asyncio
import socket
import sys

async def pipe(reader, writer, delay):
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()
    async def sender():
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if data is None:
                writer.close()
                return
            writer.write(data)
            await writer.drain()
    task = asyncio.create_task(sender())
    try:
        while True:
            data = await reader.read(65536)
            await queue.put((loop.time() + delay, data or None))
            if not data:
                break
    except ConnectionError:
        await queue.put((loop.time(), None))
    await task

async def main():
    port, target, delay = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]) / 1000
    host, tport = target.rsplit(':', 1)
    async def handle(cr, cw):
        sr, sw = await asyncio.open_connection(host, int(tport))
        for w in (cw, sw):
            w.get_extra_info('socket').setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        await asyncio.gather(pipe(cr, sw, delay), pipe(sr, cw, delay), return_exceptions=True)
    server = await asyncio.start_server(handle, '127.0.0.1', port)
    async with server:
        await server.serve_forever()

asyncio.run(main())
