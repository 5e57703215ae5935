"""Medians over rounds, ratios to the best peer, and the Markdown tables of a matrix run."""

from __future__ import annotations

import statistics
from typing import Any

CEILING = "sqlite3 loop (ceiling)"
"""The raw SQLite row: not a peer, the target's reference."""
SQLITE_TARGET = 0.9
"""hubjobs on SQLite end-to-end against the raw loop: the issue's target."""
NUMBERS = ("steady_per_s", "with_startup_per_s", "pickup_p50_ms", "pickup_p99_ms", "counter_per_job",
           "cpu_us_per_job", "rss_mb", "adds_per_s", "counter_per_add")


def median_of_rounds(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One library's figure in one cell: each number's median over the rounds that measured it;
    exactly-once must hold in every round."""
    out: dict[str, Any] = {"rounds": len(rounds)}
    ok = [r for r in rounds if "error" not in r]
    errors = [r["error"] for r in rounds if "error" in r]
    if errors:
        out["errors"] = errors
    for key in NUMBERS:
        values = [r[key] for r in ok if r.get(key) is not None]
        if values:
            out[key] = statistics.median(values)
    if ok and "exactly_once" in ok[0]:
        out["exactly_once"] = all(r["exactly_once"] for r in ok) and not errors
        out["ledger_problems"] = sorted({p for r in ok for p in r.get("ledger_problems", [])})
        out["timed_out"] = any(r.get("timed_out") for r in ok)
        out["steady_rounds"] = [round(r["steady_per_s"]) for r in ok if r.get("steady_per_s")]
    return out


def headline(cells: dict[str, dict[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Per worker cell: hubjobs against its best peer (steady jobs/s and p99 pickup), and against
    the SQLite ceiling where there is one."""
    ceilings = {key.split("/")[2]: libs[CEILING]["steady_per_s"] for key, libs in cells.items()
                if libs.get(CEILING, {}).get("steady_per_s")}
    """Concurrency (`cN`) → the sqlite3 loop's jobs/s with batches of N: one measurement serves
    every handler kind's SQLite no-op cell at that concurrency."""
    rows = []
    for key, libs in cells.items():
        own = libs.get("hubjobs", {})
        peers = {name: r for name, r in libs.items() if name not in ("hubjobs", CEILING) and r.get("steady_per_s")}
        parts = key.split("/")
        if len(parts) == 5:  # N worker processes: against hubjobs' own one-process cell
            single = cells.get("/".join(parts[:4]), {}).get("hubjobs")
            if single and single.get("steady_per_s"):
                peers = {"hubjobs, 1 process": single}
        best = max(peers, key=lambda name: peers[name]["steady_per_s"], default=None)
        fastest_p99 = min((n for n in peers if peers[n].get("pickup_p99_ms") is not None),
                          key=lambda n: peers[n]["pickup_p99_ms"], default=None)
        row: dict[str, Any] = {"cell": key, "hubjobs": own.get("steady_per_s"), "best_peer": best,
                               "best_peer_per_s": peers[best]["steady_per_s"] if best else None,
                               "hubjobs_p99": own.get("pickup_p99_ms"), "best_p99_peer": fastest_p99,
                               "best_p99": peers[fastest_p99]["pickup_p99_ms"] if fastest_p99 else None}
        row["ratio"] = (row["hubjobs"] / row["best_peer_per_s"]) if row["hubjobs"] and row["best_peer_per_s"] else None
        backend, _kind, level, body = parts[:4]
        ceiling = ceilings.get(level) if backend == "sqlite" and body == "noop" and len(parts) == 4 else None
        if ceiling and row["hubjobs"]:
            row["of_ceiling"] = row["hubjobs"] / ceiling
        rows.append(row)
    return rows


def producer_headline(producers: dict[str, dict[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Per producer cell: hubjobs' adds/s against the best peer's."""
    rows = []
    for key, libs in producers.items():
        own = libs.get("hubjobs", {}).get("adds_per_s")
        peers = {name: r["adds_per_s"] for name, r in libs.items() if name != "hubjobs" and r.get("adds_per_s")}
        best = max(peers, key=lambda name: peers[name], default=None)
        rows.append({"cell": key, "hubjobs": own, "best_peer": best, "best_peer_per_s": peers.get(best or ""),
                     "ratio": own / peers[best] if own and best else None})
    return rows


def trailing(payload: dict[str, Any]) -> list[str]:
    """The cells where hubjobs does not lead: throughput below the best peer's, a p99 pickup above
    the best peer's, or fewer adds/s."""
    out = []
    for row in payload["headline"]:
        if row["ratio"] is not None and row["ratio"] < 1:
            out.append(f"{row['cell']}: {row['ratio']:.2f}× {row['best_peer']} ({_f(row['hubjobs'])} against "
                       f"{_f(row['best_peer_per_s'])} jobs/s)")
        if row.get("of_ceiling") is not None and row["of_ceiling"] < SQLITE_TARGET:
            out.append(f"{row['cell']}: {row['of_ceiling']:.0%} of the raw sqlite3 ceiling (target "
                       f"{SQLITE_TARGET:.0%})")
        if row["hubjobs_p99"] is not None and row["best_p99"] is not None and row["hubjobs_p99"] > row["best_p99"]:
            out.append(f"{row['cell']}: p99 pickup {row['hubjobs_p99']:.2f} ms against {row['best_p99_peer']}'s "
                       f"{row['best_p99']:.2f} ms")
    for row in producer_headline(payload["producers"]):
        if row["ratio"] is not None and row["ratio"] < 1:
            out.append(f"{row['cell']}: {row['ratio']:.2f}× {row['best_peer']} ({_f(row['hubjobs'])} against "
                       f"{_f(row['best_peer_per_s'])} adds/s)")
    return out


def _f(value: Any, digits: int = 0) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "**NO**"
    if isinstance(value, float | int):
        return f"{value:,.{digits}f}"
    return str(value)


def markdown(payload: dict[str, Any]) -> str:
    """The whole run as Markdown: headline, worker cells, producer cells, versions."""
    meta = payload["meta"]
    lines = [
        f"## Matrix run {meta['date']}",
        "",
        (f"{meta['cpus']} CPUs (shared with other work: ratios within this run are what count), Python "
         f"{meta['python']}; Redis {meta.get('redis_version', '—')}, PostgreSQL {meta.get('postgres_version', '—')}, "
         f"SQLite {meta.get('sqlite_version', '—')}. Worker cells: {meta['jobs']:,} jobs queued first, one worker "
         f"process; then {meta['latency_jobs']} jobs added one at a time at {meta['rate']:g}/s for pickup latency. "
         f"Producer cells: {meta['producer_jobs']:,} adds. Medians of {meta.get('rounds_done', meta['rounds'])} round(s) that interleave "
         f"the libraries. Selection: {meta['selection']}."),
        "",
        ("Counters: Redis = commands per job while the worker drains the queue (INFO commandstats, "
         "scripts' inner calls included; the handler's own ECHO excluded); PostgreSQL = transactions "
         "per job in the cell's database (pg_stat_database xact_commit + xact_rollback: "
         "pg_stat_statements is not loaded on this server), adds and runs of both phases, the round-trip "
         "body's own SELECT 1 included (one per job); SQLite has no server counter."),
        "",
        "### Headline: hubjobs against the best peer, per cell (steady jobs/s)",
        "",
        "| cell | hubjobs | best peer | ratio | hubjobs p99 ms | best peer p99 ms |",
        "|---|---:|---|---:|---:|---|",
    ]
    for row in payload["headline"]:
        ratio = _f(row["ratio"], 2) + "×" if row["ratio"] else "—"
        if row.get("of_ceiling"):
            ratio += f" ({row['of_ceiling']:.0%} of the sqlite3 ceiling)"
        peer = f"{row['best_peer']} {_f(row['best_peer_per_s'])}" if row["best_peer"] else "— (no peer has this cell)"
        p99_peer = f"{_f(row['best_p99'], 2)} ({row['best_p99_peer']})" if row["best_p99_peer"] else "—"
        lines.append(f"| {row['cell']} | {_f(row['hubjobs'])} | {peer} | {ratio} | {_f(row['hubjobs_p99'], 2)} "
                     f"| {p99_peer} |")
    if payload["producers"]:
        lines += ["", "| producer cell | hubjobs adds/s | best peer | ratio |", "|---|---:|---|---:|"]
        for prow in producer_headline(payload["producers"]):
            peer = f"{prow['best_peer']} {_f(prow['best_peer_per_s'])}" if prow["best_peer"] else "—"
            ratio = _f(prow["ratio"], 2) + "×" if prow["ratio"] else "—"
            lines.append(f"| {prow['cell']} | {_f(prow['hubjobs'])} | {peer} | {ratio} |")
    behind = trailing(payload)
    lines += ["", "### Where hubjobs does not lead (this run)", ""]
    lines += [f"- {item}" for item in behind] or ["- nowhere in this selection"]
    lines += ["", "### Worker cells", "",
              ("| cell | library | jobs/s steady | jobs/s with start-up | pickup p50 / p99 ms | counter/job "
               "| worker CPU µs/job | RSS MB | exactly once |"),
              "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for key, libs in payload["cells"].items():
        order = sorted(libs, key=lambda n: (n != "hubjobs", -(libs[n].get("steady_per_s") or 0)))
        for name in order:
            r = libs[name]
            if r.get("errors") and not r.get("steady_per_s"):
                lines.append(f"| {key} | {name} | error: {r['errors'][0][:100].replace('|', '/')} ||||||| ")
                continue
            once = _f(r.get("exactly_once")) if "exactly_once" in r else "—"
            if r.get("timed_out"):
                once += " (timed out)"
            if r.get("ledger_problems"):
                once += " " + "; ".join(r["ledger_problems"])[:80]
            lines.append(
                f"| {key} | {name} | {_f(r.get('steady_per_s'))} | {_f(r.get('with_startup_per_s'))} "
                f"| {_f(r.get('pickup_p50_ms'), 2)} / {_f(r.get('pickup_p99_ms'), 2)} | {_f(r.get('counter_per_job'), 1)} "
                f"| {_f(r.get('cpu_us_per_job'))} | {_f(r.get('rss_mb'))} | {once} |")
    if payload["producers"]:
        lines += ["", "### Producer cells (adds/s; counter per add)", "",
                  "| cell | library | adds/s | counter/add |", "|---|---|---:|---:|"]
        for key, libs in payload["producers"].items():
            for name in sorted(libs, key=lambda n: (n != "hubjobs", -(libs[n].get("adds_per_s") or 0))):
                r = libs[name]
                if r.get("errors") and not r.get("adds_per_s"):
                    lines.append(f"| {key} | {name} | error: {r['errors'][0][:100].replace('|', '/')} | |")
                    continue
                lines.append(f"| {key} | {name} | {_f(r.get('adds_per_s'))} | {_f(r.get('counter_per_add'), 2)} |")
    lines += ["", "Versions:", ""]
    lines += [f"- {backend}/{name}: {version}" for (backend, name), version in
              sorted((tuple(k.split("/", 1)), v) for k, v in payload["versions"].items())]
    return "\n".join(lines) + "\n"
