from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from backoffice import roles

DEMO_USERS = (
    ("admin", roles.ADMINISTRATOR, "Ada", "Admin", "admin-demo-2026"),
    ("marketer", roles.MARKETING_MANAGER, "Mia", "Marketer", "marketer-demo-2026"),
    ("ops", roles.OPERATIONS, "Otto", "Ops", "ops-demo-2026"),
)


class Command(BaseCommand):
    help = "Create (or reset) the three demo users, one per role, and print their logins."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        roles.sync_role_permissions()
        User = get_user_model()
        for username, role, first, last, password in DEMO_USERS:
            user, _ = User.objects.get_or_create(username=username)
            user.first_name, user.last_name = first, last
            user.email = f"{username}@example.com"
            user.is_active = True
            user.is_staff = role == roles.ADMINISTRATOR
            user.set_password(password)
            user.save()
            user.groups.set([Group.objects.get(name=role)])
            self.stdout.write(f"  {role:<18} login: {username:<9} password: {password}")
