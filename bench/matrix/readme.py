"""Put a matrix run's tables into README.md, between the lines `<!-- matrix:begin -->` and
`<!-- matrix:end -->` (the text there is replaced; everything else is left as it is):

    python -m bench.matrix.readme [bench/results/matrix.json] [--notes FILE]

`--notes` adds a Markdown file's text (what a profile showed for the cells where hubjobs
trails) after the tables."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench.matrix import report
from bench.matrix.libraries import ROOT

BEGIN, END = "<!-- matrix:begin -->", "<!-- matrix:end -->"


def splice(readme: str, body: str) -> str:
    """README text with the part between the markers replaced by `body`."""
    if readme.count(BEGIN) != 1 or readme.count(END) != 1 or readme.index(BEGIN) > readme.index(END):
        raise ValueError(f"README.md needs one {BEGIN} line followed by one {END} line")
    head, rest = readme.split(BEGIN, 1)
    _old, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{body.rstrip()}\n{END}{tail}"


def main() -> None:
    """Read the run's JSON, render it, splice it into README.md."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", nargs="?", default=str(ROOT / "bench" / "results" / "matrix.json"))
    p.add_argument("--notes", default=None, help="a Markdown file added after the tables")
    args = p.parse_args()
    results = Path(args.results)
    if not results.is_file():
        sys.exit(f"no results file at {results}: run `python -m bench.matrix.run` first")
    body = report.markdown(json.loads(results.read_text())).replace("## Matrix run", "#### Matrix run", 1)
    body = body.replace("\n### ", "\n##### ")
    if args.notes:
        body += "\n" + Path(args.notes).read_text()
    readme = ROOT / "README.md"
    try:
        readme.write_text(splice(readme.read_text(), body))
    except ValueError as exc:
        sys.exit(str(exc))
    print(f"README.md: matrix tables from {results}")


if __name__ == "__main__":
    main()
