"""The benchmark of PERF-1 and PERF-2: the app against a bare aiohttp + XADD ceiling."""
