"""Backend fixtures for the contract suite: one module per backend, each giving an isolated URL."""
