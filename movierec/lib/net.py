"""A cheap reachability check: does a server answer on the URL's port (tests use it to skip, saying why)?"""

from __future__ import annotations

import socket
from urllib.parse import urlparse


def tcp_reachable(url: str, *, timeout: float = 0.3) -> bool:
    """True when a TCP connection to the URL's host and port opens within ``timeout``."""
    parsed = urlparse(url)
    host = parsed.hostname or "127.0.0.1"
    port = parsed.port or 6379
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
