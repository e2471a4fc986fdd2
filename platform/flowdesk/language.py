"""Which language a page is in: the person's own choice (their profile, kept in the session
since login), else the browser's Accept-Language (Django's LocaleMiddleware, which also
reads the language cookie the switcher sets for visitors), else LANGUAGE_CODE.

The header's switcher posts here; for a signed-in person the choice is also saved on their
profile (notify's preferences, the one language setting that notifications use too)."""

from django.conf import settings
from django.utils import translation
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from notify.actions import do_set_preferences
from notify.preferences import SESSION_LANGUAGE


def supported(code: str) -> bool:
    return code in dict(settings.LANGUAGES)


class UserLanguageMiddleware:
    """After authentication: a signed-in person's chosen language beats the browser's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        chosen = session.get(SESSION_LANGUAGE, "") if session is not None else ""
        if chosen and supported(chosen) and request.user.is_authenticated:
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        return self.get_response(request)


@require_POST
def set_language(request):
    """Django's set_language (cookie, redirect to `next`), plus the profile when signed in."""
    code = request.POST.get("language", "")
    if supported(code) and request.user.is_authenticated:
        do_set_preferences(request.user, language=code)
        request.session[SESSION_LANGUAGE] = code
    return django_set_language(request)
