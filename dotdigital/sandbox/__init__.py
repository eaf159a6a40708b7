"""A local emulator of Dotdigital's v2 API and Email Studio OAuth, for the demo and the tests.

It shares no code with `dotdigital.client`, and no product code imports it.
"""

from dotdigital.sandbox.app import SandboxApp
from dotdigital.sandbox.config import Faults, SandboxConfig, credentials_for_seed, oauth_client_for_seed
from dotdigital.sandbox.server import RunningSandbox, serve_forever

__all__ = [
    "Faults",
    "RunningSandbox",
    "SandboxApp",
    "SandboxConfig",
    "credentials_for_seed",
    "oauth_client_for_seed",
    "serve_forever",
]
