"""`manage.py dotdigital_sandbox`: serve the Dotdigital sandbox (a local emulator of the v2 API and OAuth)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from dotdigital.sandbox import (
    Faults,
    SandboxApp,
    SandboxConfig,
    credentials_for_seed,
    oauth_client_for_seed,
    serve_forever,
)


class Command(BaseCommand):
    help = "Serve a seeded Dotdigital sandbox (v2 API + Email Studio OAuth) and print its API URL and API user."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8025)
        parser.add_argument("--contacts", type=int, default=1000, help="seeded contacts (default 1000)")
        parser.add_argument("--address-books", type=int, default=5)
        parser.add_argument("--campaigns", type=int, default=5)
        parser.add_argument("--seed", type=int, default=1, help="same seed, same data and credentials")
        parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every API call")
        parser.add_argument("--error-rate", type=float, default=0.0, help="share of API calls answered with 503")
        parser.add_argument("--rate-limit", type=int, default=0, help="API calls per minute before 429 (0: none)")
        parser.add_argument("--import-delay", type=float, default=2.0, help="seconds an import stays NotFinished")
        parser.add_argument("--api-endpoint", default="", help="ApiEndpoint reported by account-info")
        parser.add_argument(
            "--print-credentials", action="store_true", help="print the API user and password for --seed, then exit"
        )
        parser.add_argument("--verbose-requests", action="store_true", help="log every request")

    def handle(self, *args, **options) -> None:
        if options["print_credentials"]:
            username, password = credentials_for_seed(options["seed"])
            client_id, client_secret = oauth_client_for_seed(options["seed"])
            self.stdout.write(
                f"Dotdigital sandbox API user: {username}\n"
                f"Dotdigital sandbox password: {password}\n"
                f"Dotdigital sandbox OAuth Client ID: {client_id}\n"
                f"Dotdigital sandbox OAuth Client Secret key: {client_secret}"
            )
            return
        config = SandboxConfig(
            seed=options["seed"],
            contacts=options["contacts"],
            address_books=options["address_books"],
            campaigns=options["campaigns"],
            import_delay=options["import_delay"],
            api_endpoint=options["api_endpoint"],
            faults=Faults(
                latency_ms=options["latency_ms"], error_rate=options["error_rate"], rate_limit=options["rate_limit"]
            ),
        )
        app = SandboxApp(config)
        host = options["host"]
        url = f"http://{host}:{options['port']}"
        self.stdout.write(
            f"Dotdigital sandbox serving {config.contacts} contacts (seed {config.seed})\n"
            f"  API URL:      {url}   (set DOTDIGITAL_API_URL={url})\n"
            f"  API user:     {config.username}\n"
            f"  Password:     {config.password}\n"
            f"  OAuth client: {config.oauth_client_id} / secret {config.oauth_client_secret}\n"
            f"  Change data:  manage.py sandbox_change --url {url} --seed {config.seed} --modify 10 --add 5"
        )
        self.stdout.flush()
        try:
            serve_forever(app, host, options["port"], verbose=options["verbose_requests"])
        except KeyboardInterrupt:
            self.stdout.write("Sandbox stopped.")
