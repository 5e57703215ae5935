"""Side-by-side benchmark of the hubjobs Redis backend against other Python job queues on Redis.

Run `python -m bench.redis_side_by_side.setup_peers` once (peer libraries go into venvs of their own: their
dependencies clash with this project's), then `python -m bench.redis_side_by_side.run`."""
