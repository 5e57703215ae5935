"""CSS and JavaScript of the dashboard (a package so that they ship in the wheel)."""
