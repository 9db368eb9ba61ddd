"""A request whose body was still coming when the bot was told to stop (SIGTERM) got no
answer: the drain's bound ran out and its handler was cancelled, the connection closed.
The access log and the webhooks' latency metric said the bot answered it 500, a server
error that was never sent: an alert on 5xx fired at every deploy. Such a request is logged
as 499, no answer (nginx's "client closed request" for a request that got none)."""

from __future__ import annotations

import json
import socket
import urllib.request

from tests.botprocess import BotProcess


def test_a_request_cut_off_by_the_stop_is_logged_as_unanswered() -> None:
    with BotProcess() as bot:
        with socket.create_connection(("127.0.0.1", bot.port), timeout=10) as sock:
            sock.sendall(
                b"POST /t/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"type"'
            )
            # Answered after the headers above came in: the request is in its handler.
            with urllib.request.urlopen(f"{bot.url}/healthz", timeout=10) as answer:
                assert answer.status == 200
            assert bot.stop() == 0
        lines = [json.loads(line) for line in bot.output().splitlines() if line.startswith("{")]
        cut = [line for line in lines if line.get("route") == "/t/events"]
        assert [line["status"] for line in cut] == [499], bot.output()
