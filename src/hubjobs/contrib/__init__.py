"""Framework integrations: `hubjobs.contrib.starlette` (FastAPI and Starlette),
`hubjobs.contrib.flask` and `hubjobs.contrib.django`. Each imports its framework only when used."""
