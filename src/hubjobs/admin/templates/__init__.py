"""Jinja2 templates of the dashboard (a package so that they ship in the wheel)."""
