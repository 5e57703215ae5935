"""`sequencehub demo`: the whole system on embedded SQLite, end to end, in about a minute."""

from .runner import DemoOptions, run_demo

__all__ = ["DemoOptions", "run_demo"]
