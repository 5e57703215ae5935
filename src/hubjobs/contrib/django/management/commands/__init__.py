"""`python manage.py hubjobs …`."""
