from django.core.management.base import BaseCommand, CommandError

from integrations import crypto, services


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret with the first key of FIELD_ENCRYPTION_KEY. Put the new key first and keep "
        "the old one after it (comma-separated) while this runs; remove the old key afterwards."
    )

    def handle(self, *args, **options) -> None:
        try:
            count = services.rotate_encryption_key()
        except crypto.SecretsUnreadable as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {count} stored secret value(s) with the first key."))
