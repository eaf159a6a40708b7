from __future__ import annotations

import logging

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import connection
from django.http import JsonResponse
from django.views.generic import TemplateView

from .celery import app as celery_app
from .generic import PageMixin
from .menu import menu

logger = logging.getLogger(__name__)


class DashboardView(LoginRequiredMixin, PageMixin, TemplateView):
    template_name = "backoffice/dashboard.html"
    title = "Dashboard"

    def get_breadcrumbs(self):
        return [("Dashboard", None)]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["shortcuts"] = menu.tree(self.request)
        return context


def _database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True, connection.vendor
    except Exception as exc:  # the point is to report any failure, not to raise it
        logger.warning("Health check: database unreachable: %s", exc)
        return False, f"{type(exc).__name__}"


def _broker_ok() -> tuple[bool, str]:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=3)
            return True, conn.transport.driver_name
    except Exception as exc:
        logger.warning("Health check: broker unreachable: %s", exc)
        return False, f"{type(exc).__name__}"


def health(request):
    """JSON: whether the database and the Celery broker are reachable; 503 when either is not."""
    db_ok, db_detail = _database_ok()
    broker_ok, broker_detail = _broker_ok()
    body = {
        "status": "ok" if db_ok and broker_ok else "unavailable",
        "database": {"reachable": db_ok, "detail": db_detail},
        "broker": {"reachable": broker_ok, "detail": broker_detail},
    }
    return JsonResponse(body, status=200 if db_ok and broker_ok else 503)
