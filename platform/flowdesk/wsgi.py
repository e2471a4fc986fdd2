"""The WSGI application gunicorn serves.

Once the application is set up, the URLconf (and every view module it imports) is loaded
and everything allocated so far is moved to the garbage collector's permanent generation
(`gc.freeze`): those ~100,000 long-lived objects (modules, settings, the engine's classes)
are never walked again, where a full collection of them took 60-120 ms in the middle of
whichever request triggered it. Under `gunicorn --preload` forked workers also keep
sharing those pages instead of copying them when the collector touches them.
"""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flowdesk.settings")
application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018 (imports the views now, not in a first request)
gc.freeze()
