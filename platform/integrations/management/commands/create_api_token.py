"""python manage.py create_api_token alice --scopes tickets:read tickets:write --name crm"""

import datetime as dt

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from integrations.actions import TokenError, do_create_token
from integrations.models import SCOPES


class Command(BaseCommand):
    help = "Create an API token acting as USER and print it (this is the only time it is shown)."

    def add_arguments(self, parser):
        parser.add_argument("user", help="username the token acts as")
        parser.add_argument(
            "--scopes", nargs="+", required=True, help=f"one or more of: {' '.join(SCOPES)}"
        )
        parser.add_argument("--name", required=True, help="what the token is for")
        parser.add_argument("--expires-days", type=int, default=0, help="0 = never expires")

    def handle(self, *args, user, scopes, name, expires_days, **options):
        owner = User.objects.filter(username=user).first()
        if owner is None:
            raise CommandError(f"no user {user!r}")
        # "--scopes a,b" and "--scopes a b" both work
        scopes = [s for item in scopes for s in item.split(",")]
        expires = timezone.now() + dt.timedelta(days=expires_days) if expires_days else None
        try:
            token, clear = do_create_token(owner, name, scopes, expires_at=expires)
        except TokenError as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write(f"token {token.key_id} for {owner.username}: {', '.join(token.scopes)}")
        self.stdout.write(clear)
