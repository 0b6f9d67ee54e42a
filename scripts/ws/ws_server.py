"""WebSocket echo server for scripts/record-websocket.sh, built on python3-websockets (Debian).

Usage: python3 -I ws_server.py READY_FILE PEERS_FILE

Listens on 127.0.0.1 on two free ports below the ephemeral range: "plain" without compression
(compression=None) and "deflate" with websockets' default permessage-deflate. Every message it
receives is sent back unchanged, as one frame; websockets itself answers pings with pongs and
echoes the client's close frame. No keepalive pings of its own (ping_interval=None), so the
only control frames on the wire are the client's and their answers.

READY_FILE gets {"plain": PORT, "deflate": PORT} once both listen (written atomically); each
connection appends {"path": ..., "server_port": ..., "client_port": ...} to PEERS_FILE when it
opens, before any message, so the client can name the connections it cannot see (nginx's).
Runs until SIGTERM or SIGINT.
"""

import asyncio
import errno
import json
import os
import random
import signal
import sys

import websockets

# Below Linux's default ephemeral range (32768-60999), so no client port can collide with ours.
PORT_LOW, PORT_HIGH = 10000, 30000


def request_path(ws):
    # websockets <= 13 (legacy protocol): ws.path; >= 14 (new asyncio implementation): ws.request.path.
    path = getattr(ws, "path", None)
    return path if path is not None else ws.request.path


async def echo(ws, peers):
    peers.write(json.dumps({"path": request_path(ws), "server_port": ws.local_address[1],
                            "client_port": ws.remote_address[1]}) + "\n")
    peers.flush()
    try:
        async for message in ws:
            await ws.send(message)
    except websockets.ConnectionClosed:
        pass


async def listen(handler, **options):
    for _ in range(50):
        port = random.randint(PORT_LOW, PORT_HIGH)
        try:
            return port, await websockets.serve(handler, "127.0.0.1", port, ping_interval=None,
                                                max_size=None, **options)
        except OSError as e:
            if e.errno != errno.EADDRINUSE:
                raise
    raise SystemExit("ws_server: found no free port")


async def main(ready_path, peers_path):
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    with open(peers_path, "a", encoding="utf-8") as peers:
        async def handler(ws):
            await echo(ws, peers)

        plain_port, plain = await listen(handler, compression=None)
        deflate_port, deflate = await listen(handler, compression="deflate")
        tmp = ready_path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"plain": plain_port, "deflate": deflate_port}, f)
        os.replace(tmp, ready_path)
        print(f"ws_server: listening on 127.0.0.1:{plain_port} (no compression) and 127.0.0.1:{deflate_port}"
              f" (permessage-deflate), websockets {websockets.__version__}", file=sys.stderr, flush=True)
        await stop
        for server in (plain, deflate):
            server.close()
            await server.wait_closed()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: ws_server.py READY_FILE PEERS_FILE")
    asyncio.run(main(sys.argv[1], sys.argv[2]))
