"""Settings of one sandbox instance, and the credentials it derives from its seed."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


def _digest(seed: int, purpose: str) -> str:
    return hashlib.sha256(f"dotdigital-sandbox:{seed}:{purpose}".encode()).hexdigest()


def credentials_for_seed(seed: int) -> tuple[str, str]:
    """The API user (username, password) of a sandbox started with `seed`: known before the server starts."""
    number = int(_digest(seed, "api-user"), 16) % 10**12
    return f"apiuser-{number:012d}@apiconnector.com", f"sandbox-{_digest(seed, 'api-password')[:14]}"


def oauth_client_for_seed(seed: int) -> tuple[str, str]:
    """The OAuth client (client id, client secret) registered in a sandbox started with `seed`."""
    return f"sandbox-client-{_digest(seed, 'oauth-id')[:10]}", _digest(seed, "oauth-secret")[:32]


@dataclass
class Faults:
    """Faults on demand; every field can be changed while the sandbox runs."""

    latency_ms: float = 0.0
    error_rate: float = 0.0  # share of /v2 calls answered with a 5xx
    rate_limit: int = 0  # calls per window before 429; 0 = unlimited
    rate_limit_window: float = 60.0  # seconds
    rate_limit_mode: str = "tiered"  # "tiered": 429 + X-RateLimit-* headers; "flat": 400 ERROR_APIUSAGE_EXCEEDED
    fail_next: int = 0  # the next N /v2 calls answer 503
    fail_status: int = 503
    garbage_next: int = 0  # the next N /v2 calls answer 200 with a body that is not JSON


@dataclass
class SandboxConfig:
    """What a sandbox serves: same seed and sizes, same data."""

    seed: int = 1
    contacts: int = 1000
    address_books: int = 5
    campaigns: int = 5
    username: str = ""
    password: str = ""
    oauth_client_id: str = ""
    oauth_client_secret: str = ""
    api_endpoint: str = ""  # what account-info reports as ApiEndpoint; "" = the URL the request came to
    endpoint_trailing_slash: bool = False
    import_delay: float = 1.0  # seconds an import stays NotFinished
    account_name: str = "Sandbox Account"
    faults: Faults = field(default_factory=Faults)

    def __post_init__(self) -> None:
        if not (self.username and self.password):
            self.username, self.password = credentials_for_seed(self.seed)
        if not (self.oauth_client_id and self.oauth_client_secret):
            self.oauth_client_id, self.oauth_client_secret = oauth_client_for_seed(self.seed)
        if self.contacts < 0 or self.address_books < 1 or self.campaigns < 0:
            raise ValueError("contacts and campaigns must be >= 0 and address books >= 1")

    @property
    def account_id(self) -> int:
        return 100000 + int(_digest(self.seed, "account"), 16) % 900000
