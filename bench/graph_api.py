"""Meta's Graph API emulator in a process of its own, so the bot's replies cost the bot only.

``python -m bench.graph_api --token-env T`` prints ``READY <base url>``; on SIGTERM it prints
``SENT <n>``, the number of sends it accepted.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from bench.procs import secret_from, until_signalled
from tests.emulators.graph_api import GraphAPIEmulator


async def serve(port: int, token: str) -> None:
    graph = GraphAPIEmulator(token)
    base = await graph.start(port)
    print(f"READY {base}", flush=True)
    try:
        await until_signalled()
    finally:
        await graph.stop()
        print(f"SENT {len(graph.sent)}", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--token-env", required=True, help="environment variable holding the access token"
    )
    args = parser.parse_args(argv)
    asyncio.run(serve(args.port, secret_from(args.token_env)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
