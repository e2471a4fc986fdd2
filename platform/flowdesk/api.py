"""The one NinjaAPI: every app contributes a router under /api/v1."""

from ninja.security import django_auth

from integrations.auth import ApiTokenAuth
from integrations.errors import install_error_handlers
from integrations.openapi import ScopedNinjaAPI

api = ScopedNinjaAPI(
    title="flowdesk API",
    version="1",
    urls_namespace="api-v1",
    auth=[ApiTokenAuth(), django_auth],  # integrators: bearer tokens; the web UI: its session
    docs_url="/docs",
)
install_error_handlers(api)


def _mount_routers() -> None:
    from definitions.api import router as processes
    from definitions.decision_api import router as decisions
    from intake.api import router as intake
    from integrations.api import router as integrations
    from knowledge.api import router as knowledge
    from notify.api import router as webhooks
    from pricing.api import router as pricing
    from pricing.settlement_api import router as settlements
    from tickets.api import router as tickets
    from tickets.appointments_api import router as appointments
    from tickets.bulk_api import router as bulk_tasks
    from tickets.operations_api import router as operations
    from tickets.parts_api import router as parts

    api.add_router("", processes)
    api.add_router("", decisions)
    api.add_router("", tickets)
    api.add_router("", bulk_tasks)
    api.add_router("", operations)
    api.add_router("", integrations)
    api.add_router("", webhooks)
    api.add_router("", intake)
    api.add_router("", pricing)
    api.add_router("", parts)
    api.add_router("", settlements)
    api.add_router("", knowledge)
    api.add_router("", appointments)


_mount_routers()
