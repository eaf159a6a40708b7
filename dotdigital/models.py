from django.db import models


class DotdigitalAccess(models.Model):
    """No table: carries the permissions of the Dotdigital pages that show data read live from Dotdigital."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = (("view_data_fields", "Can view Dotdigital data fields"),)

    def __str__(self) -> str:
        return "Dotdigital access"
