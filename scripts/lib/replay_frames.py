#!/usr/bin/env python3
"""Send the frames of a classic pcap file out of a network interface, like tcpreplay -t, optionally
tagging each one with an 802.1Q VLAN header, and record exactly what was sent to another pcap.

  replay_frames.py IN.pcap IFACE OUT.pcap [--vlan ID]

Ethernet captures only (link type 1), microsecond or nanosecond pcap. Needs root (AF_PACKET). The
frames go out with a 1 ms pause every 20 (at most some 20,000 a second), so that neither a veth
peer's receive backlog nor a slow capture (libpcap's ring, with offloads on, holds only a few
hundred frames at the default snap length) overflows. OUT.pcap keeps the original timestamps.
"""
import socket
import struct
import sys
import time


def main():
    args = sys.argv[1:]
    vlan = None
    if "--vlan" in args:
        i = args.index("--vlan")
        vlan = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 3:
        sys.exit(__doc__)
    source, iface, target = args

    with open(source, "rb") as f:
        data = f.read()
    magic = data[:4]
    formats = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">", b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\x3c\x4d": ">"}
    if magic not in formats:
        sys.exit("replay_frames: %s is not a classic pcap file" % source)
    order = formats[magic]
    snaplen, linktype = struct.unpack(order + "II", data[16:24])
    if linktype != 1:
        sys.exit("replay_frames: link type %d; only Ethernet (1) can be replayed" % linktype)

    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((iface, 0))
    out = open(target, "wb")
    out.write(data[:16] + struct.pack(order + "II", min(snaplen + 4, 262144), 1))
    offset, sent = 24, 0
    while offset + 16 <= len(data):
        seconds, fraction, captured, wire = struct.unpack(order + "IIII", data[offset:offset + 16])
        frame = data[offset + 16:offset + 16 + captured]
        offset += 16 + captured
        if len(frame) < captured:
            break
        if vlan is not None and len(frame) >= 14:
            frame = frame[:12] + struct.pack(">HH", 0x8100, vlan) + frame[12:]
            captured += 4
            wire += 4
        sock.send(frame)
        out.write(struct.pack(order + "IIII", seconds, fraction, captured, wire) + frame)
        sent += 1
        # Paced (at most ~5,000 frames/s): a correctness check, not a rate test. The pcap engine's
        # kernel ring holds ~128 frames (libpcap sizes its frames for the snaplen), so a capture
        # thread descheduled for a few ms on a busy 2-core machine lost frames at 20 per ms.
        if sent % 10 == 0:
            time.sleep(0.002)
    out.close()
    sock.close()
    print("replay_frames: sent %d frames out of %s%s" % (sent, iface, "" if vlan is None else " with VLAN %d" % vlan))


if __name__ == "__main__":
    main()
