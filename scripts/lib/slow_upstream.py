#!/usr/bin/env python3
"""An HTTP upstream that takes a known time to answer:

    python3 slow_upstream.py ADDRESS PORT SLEEP_MS [READY_FILE]

Reads each request's head, sleeps SLEEP_MS, answers `200` with a short body and closes (as nginx's
proxy_pass speaks HTTP/1.0 to upstreams by default). One connection at a time; the point is that the
answer leaves SLEEP_MS (plus well under a millisecond) after the request arrived.
"""
import socket
import sys
import time


def main():
    address, port, sleep = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]) / 1000.0
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((address, port))
    server.listen(16)
    if len(sys.argv) > 4:
        with open(sys.argv[4], "w") as ready:
            ready.write("ready\n")
    body = b"slept %d ms\n" % int(sleep * 1000)
    answer = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    while True:
        connection, _ = server.accept()
        with connection:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = connection.recv(4096)
                if not chunk:
                    break
                head += chunk
            if b"\r\n\r\n" not in head:
                continue
            time.sleep(sleep)
            connection.sendall(answer)


if __name__ == "__main__":
    main()
