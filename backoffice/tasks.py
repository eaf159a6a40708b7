"""Tasks of the shell itself."""

import socket

from celery import shared_task


@shared_task(name="backoffice.ping")
def ping(token: str) -> dict:
    """Answer with the token and the worker's host: proves a worker picked the task up."""
    return {"token": token, "host": socket.gethostname()}
