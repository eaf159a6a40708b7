from django.apps import AppConfig


class DotdigitalConfig(AppConfig):
    name = "dotdigital"
    verbose_name = "Dotdigital"
