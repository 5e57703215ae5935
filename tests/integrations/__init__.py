"""Framework integrations, each tested against a real app of its framework."""
