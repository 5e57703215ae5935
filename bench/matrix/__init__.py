"""The benchmark matrix: every backend, every peer that runs here, handler kinds, concurrency,
handler bodies and producer kinds; one command (`python -m bench.matrix.run`)."""
