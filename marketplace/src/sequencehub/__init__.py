"""SequenceHUB's own jobs and tools, built on the generic ``hubjobs`` engine."""
