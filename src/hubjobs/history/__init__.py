"""Throughput history: what workers finished per minute and how long jobs waited and ran,
kept in the backend (bounded) so any dashboard process can draw it, restarts included."""
