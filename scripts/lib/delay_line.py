#!/usr/bin/env python3
"""A fixed delay for packets, for kernels without netem: netem's `delay` done with NFQUEUE.

    iptables -t mangle -A POSTROUTING -o IFACE -j NFQUEUE --queue-num QUEUE
    python3 delay_line.py QUEUE DELAY_MS [READY_FILE]

The kernel holds every packet the rule queues (the packet itself never leaves the kernel: only its
id comes here, NFQNL_COPY_META) and lets it go on its way (NF_ACCEPT) DELAY_MS after it was queued,
in the order queued, as netem's constant delay does. Talks nfnetlink directly (no library). Writes
READY_FILE once bound; runs until killed. Run it at a real-time priority (chrt -f) so that a busy
machine does not add to the delay.
"""
import collections
import os
import select
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET = 0
NFQNL_MSG_VERDICT = 1
NFQNL_MSG_CONFIG = 2
NFQA_PACKET_HDR = 1
NFQA_VERDICT_HDR = 2
NFQA_CFG_CMD = 1
NFQA_CFG_PARAMS = 2
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NF_ACCEPT = 1
NLM_F_REQUEST = 1
NLM_F_ACK = 4
NLMSG_ERROR = 2


def attribute(kind, payload):
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + b"\0" * (-length % 4)


def message(kind, queue, attributes, flags=NLM_F_REQUEST):
    body = struct.pack("=BBH", socket.AF_UNSPEC, 0, socket.htons(queue)) + attributes
    return struct.pack("=IHHII", 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | kind, flags, 0, 0) + body


def configure(sock, queue, attributes):
    sock.send(message(NFQNL_MSG_CONFIG, queue, attributes, NLM_F_REQUEST | NLM_F_ACK))
    reply = sock.recv(65536)
    length, kind = struct.unpack_from("=IH", reply, 0)
    if kind == NLMSG_ERROR:
        (error,) = struct.unpack_from("=i", reply, 16)
        if error != 0:
            raise OSError(-error, "nfqueue configuration refused: " + os.strerror(-error))


def packet_ids(data):
    """The ids of the packets in one read (several messages may come together)."""
    offset = 0
    while offset + 16 <= len(data):
        length, kind = struct.unpack_from("=IH", data, offset)
        if length < 16:
            break
        if kind == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
            at = offset + 20
            while at + 4 <= offset + length:
                attr_length, attr_kind = struct.unpack_from("=HH", data, at)
                if attr_length < 4:
                    break
                if attr_kind & 0x7FFF == NFQA_PACKET_HDR:
                    yield struct.unpack_from("!I", data, at + 4)[0]
                at += (attr_length + 3) & ~3
        offset += (length + 3) & ~3


def main():
    queue = int(sys.argv[1])
    delay = float(sys.argv[2]) / 1000.0
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    sock.bind((0, 0))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    configure(sock, queue, attribute(NFQA_CFG_CMD, struct.pack("!BxH", NFQNL_CFG_CMD_BIND, 0)))
    configure(sock, queue, attribute(NFQA_CFG_PARAMS, struct.pack("!IB", 0, NFQNL_COPY_META)))
    if len(sys.argv) > 3:
        with open(sys.argv[3], "w") as ready:
            ready.write("ready\n")
    held = collections.deque()  # (release time, packet id), in the order queued
    while True:
        timeout = None
        if held:
            timeout = max(0.0, held[0][0] - time.monotonic())
        readable, _, _ = select.select([sock], [], [], timeout)
        if readable:
            data = sock.recv(1 << 20)
            arrived = time.monotonic()
            for packet_id in packet_ids(data):
                held.append((arrived + delay, packet_id))
        now = time.monotonic()
        while held and held[0][0] <= now:
            _, packet_id = held.popleft()
            sock.send(message(NFQNL_MSG_VERDICT, queue,
                              attribute(NFQA_VERDICT_HDR, struct.pack("!II", NF_ACCEPT, packet_id))))


if __name__ == "__main__":
    main()
