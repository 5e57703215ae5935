"""Producer modules that `mypy --strict` must accept (`producers_ok`) or reject (`producers_bad`)."""
