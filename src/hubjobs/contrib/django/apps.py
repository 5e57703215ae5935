"""The Django app config: add "hubjobs.contrib.django" to INSTALLED_APPS."""

from __future__ import annotations

from django.apps import AppConfig


class HubJobsConfig(AppConfig):
    """hubjobs in a Django project (the `hubjobs` management command)."""

    name = "hubjobs.contrib.django"
    label = "hubjobs"
    verbose_name = "hubjobs"
