"""The pages people see when something is missing, forbidden or broken: in their language,
with a way back, never Django's debug page. A server error gets a reference id that is also
written to the log with the traceback, so an administrator can find what happened."""

import logging
import sys
import uuid

from django.http import HttpResponseForbidden, HttpResponseNotFound, HttpResponseServerError
from django.template import loader

log = logging.getLogger("flowdesk.errors")


def page_not_found(request, exception=None):
    return HttpResponseNotFound(loader.render_to_string("404.html", request=request))


def permission_denied(request, exception=None):
    return HttpResponseForbidden(loader.render_to_string("403.html", request=request))


def server_error(request):
    """Rendered without context processors: the database may be what failed."""
    reference = uuid.uuid4().hex[:12]
    log.error(
        "server error %s on %s %s",
        reference,
        request.method,
        request.get_full_path(),
        exc_info=sys.exc_info(),
    )
    html = loader.render_to_string("500.html", {"reference": reference})
    return HttpResponseServerError(html)
