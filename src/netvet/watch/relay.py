"""ExaBGP's API process for netvet: copies the JSON lines ExaBGP writes to its stdin to netvet's loopback port."""

from __future__ import annotations

import socket
import sys


def main(argv: list[str]) -> int:
    host, port = argv[0], int(argv[1])
    sock = socket.create_connection((host, port), timeout=10)
    sock.settimeout(None)
    try:
        for line in sys.stdin.buffer:
            sock.sendall(line)
    except (BrokenPipeError, ConnectionError):
        return 0
    finally:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
