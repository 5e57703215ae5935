"""Side-by-side benchmark on PostgreSQL: hubjobs vs pgqueuer vs procrastinate."""
