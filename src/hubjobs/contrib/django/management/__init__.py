"""Management commands of hubjobs.contrib.django."""
