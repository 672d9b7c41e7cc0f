"""movierec.wait_for: make demo prints "ready" only once the site answers."""

from __future__ import annotations

import http.server
import socket
import threading
import time

from movierec.wait_for import main, wait_for


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Status(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def serve_after(port: int, delay: float, status: int = 200) -> http.server.HTTPServer:
    handler = type("Handler", (_Status,), {"status": status})
    server_box: list[http.server.HTTPServer] = []

    def start() -> None:
        time.sleep(delay)
        server = http.server.HTTPServer(("127.0.0.1", port), handler)
        server_box.append(server)
        server.serve_forever()

    threading.Thread(target=start, daemon=True).start()
    return server_box


def test_it_waits_for_a_site_that_starts_later_and_returns_once_it_answers():
    port = free_port()
    servers = serve_after(port, delay=0.6)
    started = time.monotonic()

    assert wait_for(f"http://127.0.0.1:{port}/healthz", timeout=10, interval=0.05)

    assert time.monotonic() - started >= 0.6
    servers[0].shutdown()


def test_an_error_status_is_an_answer():
    port = free_port()
    servers = serve_after(port, delay=0.0, status=503)

    assert main([f"http://127.0.0.1:{port}/healthz", "--timeout", "10"]) == 0
    servers[0].shutdown()


def test_a_site_that_never_answers_times_out_saying_so(capsys):
    port = free_port()

    assert main([f"http://127.0.0.1:{port}/", "--timeout", "0.3"]) == 1
    assert "did not answer within" in capsys.readouterr().err
