"""`manage.py sandbox_change`: modify, unsubscribe and add contacts, and add campaign opens and clicks, in a
running Dotdigital sandbox (through its `POST /_sandbox/change` endpoint)."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dotdigital.sandbox import credentials_for_seed


class Command(BaseCommand):
    help = (
        "Change data in a running Dotdigital sandbox, so the next sync has something incremental to fetch: "
        "modify, unsubscribe and add contacts, and add opens and clicks (dated now) to a sent campaign. "
        "Prints the ids of the contacts touched, by kind."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8025", help="the sandbox's API URL")
        parser.add_argument("--seed", type=int, default=1, help="the sandbox's seed (gives its API user)")
        parser.add_argument("--modify", type=int, default=0, help="contacts whose data fields change")
        parser.add_argument("--unsubscribe", type=int, default=0, help="subscribed contacts who unsubscribe")
        parser.add_argument("--add", type=int, default=0, help="new contacts, added to --book-id")
        parser.add_argument(
            "--book-id", type=int, default=None, help="address book for new contacts (default: the first one)"
        )
        parser.add_argument("--opens", type=int, default=0, help="new opens, by recipients of --campaign-id")
        parser.add_argument("--clicks", type=int, default=0, help="new clicks, by openers of --campaign-id")
        parser.add_argument(
            "--campaign-id", type=int, default=None, help="sent campaign for --opens/--clicks (default: the first)"
        )

    def handle(self, *args, **options) -> None:
        kinds = ("modify", "unsubscribe", "add", "opens", "clicks")
        body = {name: options[name] for name in kinds}
        for name in ("book_id", "campaign_id"):
            if options[name] is not None:
                body[name] = options[name]
        if not any(body[name] for name in kinds):
            raise CommandError("Nothing to do: give --modify, --unsubscribe, --add, --opens and/or --clicks.")
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
        for kind in ("modified", "unsubscribed", "added", "opened", "clicked"):
            ids = result.get(kind, [])
            if kind in ("opened", "clicked") and result.get("campaign_id") is None:
                continue
            where = f" in campaign {result['campaign_id']}" if kind in ("opened", "clicked") else ""
            more = " ..." if len(ids) > 20 else ""
            self.stdout.write(f"{kind.capitalize()}: {len(ids)} contact(s){where} {ids[:20]}{more}")
