"""Producer calls mypy --strict must reject: each line marked `# error` is one."""

from __future__ import annotations

from .tasks import Greet, greet


def produce() -> None:
    """Wrong fields, wrong types, wrong options."""
    greet.enqueue(whom="ada")  # error
    greet.enqueue(who=1)  # error
    greet.enqueue(Greet(who="ada"), prio=3)  # error
    greet.enqueue({"who": "ada"})  # error
    print(greet.enqueue(who="ada").data.nobody)  # error
