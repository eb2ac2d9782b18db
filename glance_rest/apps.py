from django.apps import AppConfig


class GlanceRestConfig(AppConfig):
    name = "glance_rest"
    verbose_name = "Glance REST API"
