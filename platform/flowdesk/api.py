"""The one NinjaAPI: every app contributes a router under /api/v1."""

from ninja import NinjaAPI
from ninja.security import django_auth

api = NinjaAPI(
    title="flowdesk API",
    version="1",
    urls_namespace="api-v1",
    auth=django_auth,
    docs_url="/docs",
)


def _mount_routers() -> None:
    from bpmn.api import router as processes
    from tickets.api import router as tickets

    api.add_router("", processes)
    api.add_router("", tickets)


_mount_routers()
