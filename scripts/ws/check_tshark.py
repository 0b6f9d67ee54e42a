"""Holds a recording of scripts/record-websocket.sh against tshark's WebSocket dissector.

Usage: python3 -I check_tshark.py OUT.pcap EXPECTED.jsonl [PDML]

Runs tshark (HTTP on the server ports named in EXPECTED, so it follows the upgrade) with -T pdml,
rebuilds messages from its frames per connection and direction (control frames at once, data
messages at their last fragment, as ws_client.py orders EXPECTED), and compares them with
EXPECTED: opcode, payload bytes, frames, compressed (RSV1), close code and reason, and text
(uncompressed text messages; of a fragmented one only its continuation frames, as tshark 4.0 shows
no payload for a first fragment). Prints the differences and exits 1 if there are any; prints one
summary line and exits 0 otherwise. A check of the recorder, not of httpcap: WebSocketMatchesClientIT
runs it before it compares httpcap's events with EXPECTED. PDML keeps tshark's output there.
"""

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

OPCODES = {0: "continuation", 1: "text", 2: "binary", 8: "close", 9: "ping", 10: "pong"}


def fields(proto):
    out = {}
    for field in proto.iter("field"):
        name = field.get("name")
        if name and name not in out:
            out[name] = field
    return out


def frames(pcap, ports, pdml_path):
    command = ["tshark", "-n", "-r", pcap, "-o", "tcp.desegment_tcp_streams:TRUE"]
    for port in sorted(ports):
        command += ["-d", f"tcp.port=={port},http"]
    command += ["-Y", "websocket", "-T", "pdml"]
    with open(pdml_path, "wb") as out:
        subprocess.run(command, stdout=out, stderr=subprocess.DEVNULL, check=True)
    for _, packet in ET.iterparse(pdml_path):
        if packet.tag != "packet":
            continue
        tcp = None
        number = None
        for proto in packet.findall("proto"):
            name = proto.get("name")
            if name == "geninfo":
                number = int(fields(proto)["num"].get("show"))
            elif name == "tcp":
                f = fields(proto)
                tcp = (int(f["tcp.srcport"].get("show")), int(f["tcp.dstport"].get("show")))
            elif name == "websocket":
                f = fields(proto)
                length = int(f["websocket.payload_length"].get("show"))
                for ext in ("websocket.payload_length_ext_64", "websocket.payload_length_ext_16"):
                    if ext in f:
                        length = int(f[ext].get("show"))
                        break
                # A text frame's payload is websocket.payload.text, a continuation frame's .continue.
                text = f.get("websocket.payload.text", f.get("websocket.payload.continue"))
                code = f.get("websocket.payload.close.status_code")
                reason = f.get("websocket.payload.close.reason")
                yield {
                    "frame": number, "src": tcp[0], "dst": tcp[1],
                    "fin": f["websocket.fin"].get("show") == "1",
                    "rsv1": int(f["websocket.rsv"].get("show"), 16) & 0x4 != 0,
                    "opcode": int(f["websocket.opcode"].get("show")),
                    "bytes": length,
                    "text": bytes.fromhex(text.get("value")) if text is not None else b"",
                    "close_code": int(code.get("show")) if code is not None else None,
                    "close_reason": bytes.fromhex(reason.get("value")).decode() if reason is not None else None,
                }
        packet.clear()


def messages(frame_iter, conns):
    """Messages per (conn, direction) in wire order, from tshark's frames."""
    by_ports = {}
    for conn, (client, server) in conns.items():
        by_ports[(client, server)] = (conn, "client")
        by_ports[(server, client)] = (conn, "server")
    out = {}
    partial = {}
    problems = []
    for fr in frame_iter:
        key = by_ports.get((fr["src"], fr["dst"]))
        if key is None:
            problems.append(f"frame {fr['frame']}: WebSocket {fr['src']} -> {fr['dst']} on no connection of EXPECTED")
            continue
        opcode = OPCODES.get(fr["opcode"], str(fr["opcode"]))
        if fr["opcode"] >= 8:
            msg = {"opcode": opcode, "bytes": fr["bytes"], "frames": 1, "compressed": fr["rsv1"]}
            if opcode == "close":
                msg["close_code"] = fr["close_code"]
                msg["close_reason"] = fr["close_reason"]
            out.setdefault(key, []).append(msg)
            continue
        if fr["opcode"] == 0:
            msg = partial.get(key)
            if msg is None:
                problems.append(f"frame {fr['frame']}: continuation frame outside a message on {key}")
                continue
            msg["bytes"] += fr["bytes"]
            msg["frames"] += 1
            msg["raw"] += fr["text"]
        else:
            if key in partial:
                problems.append(f"frame {fr['frame']}: new {opcode} message before the last one ended on {key}")
            msg = {"opcode": opcode, "bytes": fr["bytes"], "frames": 1, "compressed": fr["rsv1"], "raw": fr["text"]}
            partial[key] = msg
        if fr["fin"]:
            del partial[key]
            raw = msg.pop("raw")
            if msg["opcode"] == "text" and not msg["compressed"]:
                msg["text"] = raw.decode("utf-8")
            out.setdefault(key, []).append(msg)
    for key in partial:
        problems.append(f"{key}: a message without its last fragment")
    return out, problems


def main(pcap, expected_path, pdml_path):
    expected = {}
    conns = {}
    with open(expected_path, encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            conns[e["conn"]] = (e["client_port"], e["server_port"])
            expected.setdefault((e["conn"], e["direction"]), []).append(e)
    ports = {server for _, server in conns.values()}
    actual, problems = messages(frames(pcap, ports, pdml_path), conns)
    compared = 0
    for key in sorted(set(expected) | set(actual)):
        exp = expected.get(key, [])
        act = actual.get(key, [])
        if len(exp) != len(act):
            problems.append(f"{key}: EXPECTED has {len(exp)} messages, tshark {len(act)}")
        for i, (e, a) in enumerate(zip(exp, act)):
            compared += 1
            for name in ("opcode", "bytes", "frames", "compressed", "close_code", "close_reason", "text"):
                if name == "bytes" and e["compressed"]:
                    continue  # EXPECTED has the size before compression, tshark the size on the wire
                if name == "text" and e["compressed"]:
                    continue
                if name == "text" and e["frames"] > 1 and e["opcode"] == "text":
                    # tshark 4.0 shows no payload for a first fragment (FIN 0), only continuations.
                    if not e["text"].endswith(a.get("text", "")):
                        problems.append(f"{key} message #{i + 1} (fragmented text): tshark's continuations "
                                        f"{a.get('text')!r} do not end EXPECTED {e['text']!r}")
                    continue
                if e.get(name) != a.get(name):
                    ev, av = repr(e.get(name))[:80], repr(a.get(name))[:80]
                    problems.append(f"{key} message #{i + 1} ({e['opcode']}): {name}: EXPECTED {ev}, tshark {av}")
    if problems:
        print("\n".join(problems[:40]))
        print(f"check_tshark: {len(problems)} differences between EXPECTED and tshark", file=sys.stderr)
        return 1
    print(f"check_tshark: tshark agrees with EXPECTED on all {compared} messages of {len(conns)} connections")
    return 0


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        raise SystemExit("usage: check_tshark.py OUT.pcap EXPECTED.jsonl [PDML]")
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) == 4 else sys.argv[1] + ".pdml"))
