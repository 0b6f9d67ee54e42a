"""WebSocket client for scripts/record-websocket.sh, built on python3-websockets (Debian).

Usage: python3 -I ws_client.py PLAIN_PORT DEFLATE_PORT NGINX_PORT PEERS_FILE EXPECTED.jsonl
  NGINX_PORT 0 skips the connection through nginx.

Opens, one after the other, connections to the echo server (ws_server.py):
  direct   ws://127.0.0.1:PLAIN_PORT/direct, compression=None on both ends;
  nginx    ws://127.0.0.1:NGINX_PORT/nginx, which nginx proxies to PLAIN_PORT: two connections on
           the wire, "nginx-front" (client to nginx) and "nginx-back" (nginx to the server), that
           carry the same frames;
  deflate  ws://127.0.0.1:DEFLATE_PORT/deflate with permessage-deflate (websockets' default).
On direct and nginx it sends text (empty, ASCII, multi-byte UTF-8, at the 7/16/64-bit length
boundaries), binary (0 B to 200 kB), two fragmented messages (the second with a ping between its
fragments), a ping with a payload and an empty ping, waits for each echo or pong, and closes with
1000 and a reason; the server echoes every message and the close. Every echo is checked.

EXPECTED.jsonl gets one line per message as httpcap should report it, per connection in wire
order (so in order per direction): {"conn", "client_port", "server_port", "direction":
"client"|"server" (who sent it), "opcode": "text"|"binary"|"ping"|"pong"|"close", "bytes" (payload
length; a fragmented message's total), "frames" (frames on the wire), "compressed", and "text"
(text messages), "close_code"/"close_reason" (close frames)}. A fragmented message comes after a
control frame sent between its fragments: it is complete only at its last frame.
"""

import asyncio
import json
import random
import sys

import websockets

NO_PING = dict(ping_interval=None, max_size=None, open_timeout=10, close_timeout=10)
CLOSE_REASON = "normal closure ✓"
PING_PAYLOAD = "httpcap ping ✓".encode()
MID_PING_PAYLOAD = b"\x00mid-fragment ping\xff"


def big_text(limit):
    """Text of exactly `limit` UTF-8 bytes, with 1-, 2-, 3- and 4-byte characters throughout."""
    unit = "0123456789 abcdé ünïcødé ✓ 🙂 — "
    text = (unit * (limit // len(unit.encode()) + 2)).encode()[:limit].decode("utf-8", "ignore")
    return text + "x" * (limit - len(text.encode()))


class Message:
    """A data message the client sends and the server echoes; fragments, if any, as sent."""

    def __init__(self, payload, fragments=None, mid_ping=None):
        self.payload = payload
        self.fragments = fragments
        self.mid_ping = mid_ping

    @property
    def opcode(self):
        return "text" if isinstance(self.payload, str) else "binary"

    @property
    def size(self):
        return len(self.payload.encode()) if isinstance(self.payload, str) else len(self.payload)


PLAIN_MESSAGES = [
    Message("hello world"),
    Message("héllo ✓"),
    Message(""),
    Message("a" * 125),                                   # largest 7-bit length
    Message("ü" * 63),                                    # 126 bytes: smallest 16-bit length
    Message(big_text(300)),
    Message(big_text(70000)),                             # 64-bit length
    Message(b""),
    Message(b"\x00\x01\x02\xfe\xff"),
    Message(bytes(range(256))),
    Message(b"\xab" * 65535),                             # largest 16-bit length
    Message(b"\xcd" * 65536),                             # smallest 64-bit length
    Message(random.Random(6455).randbytes(200000)),
    Message("frag-one frag-twö ✓ frag-three 🙂", fragments=["frag-one ", "frag-twö ✓ ", "frag-three 🙂"]),
    Message(b"\x10" * 100 + b"\x20" * 1000 + b"\x30" * 70000,
            fragments=[b"\x10" * 100, b"\x20" * 1000, b"\x30" * 70000], mid_ping=MID_PING_PAYLOAD),
]

DEFLATE_MESSAGES = [
    Message("hello deflate " * 64),
    Message("héllo ✓ compressed"),
    Message(bytes(2000)),
    Message(big_text(70000)),
]


def extensions(ws):
    # websockets <= 13 (legacy protocol): ws.extensions; >= 14: ws.protocol.extensions.
    found = getattr(ws, "extensions", None)
    return found if found is not None else ws.protocol.extensions


class Recorder:
    def __init__(self):
        self.lines = []

    def add(self, conn, ports, direction, opcode, size, frames=1, compressed=False, **extra):
        line = {"conn": conn, "client_port": ports[0], "server_port": ports[1], "direction": direction,
                "opcode": opcode, "bytes": size, "frames": frames, "compressed": compressed}
        line.update(extra)
        self.lines.append(line)

    def message(self, conn, ports, direction, message, compressed=False):
        extra = {"text": message.payload} if message.opcode == "text" else {}
        frames = 1 if message.fragments is None else len(message.fragments) + 1  # websockets ends with an empty frame
        self.add(conn, ports, direction, message.opcode, message.size,
                 frames=frames if direction == "client" else 1, compressed=compressed, **extra)


async def ping(ws, payload, conn, ports, rec):
    pong = await ws.ping(payload)
    await asyncio.wait_for(pong, 10)
    rec.add(conn, ports, "client", "ping", len(payload))
    rec.add(conn, ports, "server", "pong", len(payload))


async def converse(ws, conn, server_port, messages, rec, compressed):
    ports = (ws.local_address[1], server_port)

    for message in messages:
        if message.fragments is None:
            await ws.send(message.payload)
        else:
            async def fragments(message=message):
                yield message.fragments[0]
                if message.mid_ping is not None:
                    # A control frame between the fragments of a message (RFC 6455 5.4).
                    await ping(ws, message.mid_ping, conn, ports, rec)
                for fragment in message.fragments[1:]:
                    yield fragment
            await ws.send(fragments())
        echo = await asyncio.wait_for(ws.recv(), 10)
        if echo != message.payload:
            raise SystemExit(f"ws_client: {conn}: the echo of a {message.size}-byte {message.opcode} message differs")
        rec.message(conn, ports, "client", message, compressed)
        rec.message(conn, ports, "server", message, compressed)

    await ping(ws, PING_PAYLOAD, conn, ports, rec)
    await ping(ws, b"", conn, ports, rec)

    await ws.close(1000, CLOSE_REASON)
    await ws.wait_closed()
    if ws.close_code != 1000 or ws.close_reason != CLOSE_REASON:
        raise SystemExit(f"ws_client: {conn}: the server answered the close with {ws.close_code} {ws.close_reason!r}")
    size = 2 + len(CLOSE_REASON.encode())
    for direction in ("client", "server"):  # the server echoes the close frame's payload
        rec.add(conn, ports, direction, "close", size, close_code=1000, close_reason=CLOSE_REASON)
    return ports


async def connect(uri, conn, server_port, messages, rec, deflate):
    options = dict(NO_PING) if deflate else dict(NO_PING, compression=None)
    async with websockets.connect(uri, **options) as ws:
        names = [e.name for e in extensions(ws)]
        if names != (["permessage-deflate"] if deflate else []):
            raise SystemExit(f"ws_client: {conn}: negotiated extensions {names}")
        return await converse(ws, conn, server_port, messages, rec, deflate)


def peers(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


async def main(plain, deflate, nginx, peers_path, expected_path):
    rec = Recorder()
    direct = await connect(f"ws://127.0.0.1:{plain}/direct", "direct", plain, PLAIN_MESSAGES, rec, False)
    if nginx:
        front_start = len(rec.lines)
        await connect(f"ws://127.0.0.1:{nginx}/nginx", "nginx-front", nginx, PLAIN_MESSAGES, rec, False)
        back = [p for p in peers(peers_path) if p["path"] == "/nginx"]
        if len(back) != 1:
            raise SystemExit(f"ws_client: the server saw {len(back)} connections from nginx, expected 1")
        for line in rec.lines[front_start:]:
            rec.lines.append(dict(line, conn="nginx-back", client_port=back[0]["client_port"],
                                  server_port=back[0]["server_port"]))
    await connect(f"ws://127.0.0.1:{deflate}/deflate", "deflate", deflate, DEFLATE_MESSAGES, rec, True)

    seen = {p["path"]: p["client_port"] for p in peers(peers_path)}
    if seen.get("/direct") != direct[0]:
        raise SystemExit(f"ws_client: the server saw /direct from port {seen.get('/direct')}, the client used {direct[0]}")

    with open(expected_path, "w", encoding="utf-8") as f:
        for line in rec.lines:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
    counts = {}
    for line in rec.lines:
        counts[line["conn"]] = counts.get(line["conn"], 0) + 1
    summary = ", ".join(f"{conn} {line_count}" for conn, line_count in counts.items())
    print(f"ws_client: websockets {websockets.__version__}; messages per connection: {summary}",
          file=sys.stderr, flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 6:
        raise SystemExit("usage: ws_client.py PLAIN_PORT DEFLATE_PORT NGINX_PORT PEERS_FILE EXPECTED.jsonl")
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]))
