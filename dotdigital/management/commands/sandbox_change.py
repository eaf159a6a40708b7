"""`manage.py sandbox_change`: modify, unsubscribe and add contacts in a running Dotdigital sandbox."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dotdigital.sandbox import credentials_for_seed


class Command(BaseCommand):
    help = "Change data in a running Dotdigital sandbox, so the next sync has something incremental to fetch."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8025", help="the sandbox's API URL")
        parser.add_argument("--seed", type=int, default=1, help="the sandbox's seed (gives its API user)")
        parser.add_argument("--modify", type=int, default=0, help="contacts whose data fields change")
        parser.add_argument("--unsubscribe", type=int, default=0, help="subscribed contacts who unsubscribe")
        parser.add_argument("--add", type=int, default=0, help="new contacts, added to --book-id")
        parser.add_argument("--book-id", type=int, default=None, help="address book for new contacts")

    def handle(self, *args, **options) -> None:
        body = {name: options[name] for name in ("modify", "unsubscribe", "add")}
        if options["book_id"] is not None:
            body["book_id"] = options["book_id"]
        if not any(body[name] for name in ("modify", "unsubscribe", "add")):
            raise CommandError("Nothing to do: give --modify, --unsubscribe and/or --add.")
        username, password = credentials_for_seed(options["seed"])
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        url = options["url"].rstrip("/") + "/_sandbox/change"
        if not url.startswith(("http://", "https://")):
            raise CommandError("--url must be an http(s) URL.")
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            url,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Basic {token}"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - scheme checked above
                result = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise CommandError(f"The sandbox refused the change: HTTP {exc.code} {exc.read()[:200]!r}") from exc
        except OSError as exc:
            raise CommandError(f"Could not reach the sandbox at {options['url']}: {exc}") from exc
        for kind in ("modified", "unsubscribed", "added"):
            ids = result.get(kind, [])
            self.stdout.write(f"{kind.capitalize()}: {len(ids)} contact(s) {ids[:20]}{' ...' if len(ids) > 20 else ''}")
