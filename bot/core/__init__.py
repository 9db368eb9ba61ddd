"""The runtime's core: ingest, the pipeline, sending, fan-out, the directory and profiles."""
