"""The embedded store: fakeredis in this process, when no ``REDIS_URL`` is set. Imported
only then."""

from __future__ import annotations

import fakeredis

from stores.pipeline import QuickRedis


class EmbeddedRedis(fakeredis.FakeAsyncRedis):
    """fakeredis' client whose pipelines are the client's own (``QuickPipeline``), so that
    they keep the hooks of ``after_sent``; on fakeredis' pool they take redis-py's path."""

    pipeline = QuickRedis.pipeline
