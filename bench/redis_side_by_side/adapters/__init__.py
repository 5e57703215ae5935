"""One module per library: its no-op task, its producer calls and how to start its worker.
Each runs in that library's own interpreter (see `bench/redis_side_by_side/peers.py`)."""
