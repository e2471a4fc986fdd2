"""Helpers for the integration tests: clients acting with a token or a session."""

import json

from django.test import Client

from integrations.actions import do_create_token


def token_for(user, *scopes, name="crm", **kwargs) -> str:
    return do_create_token(user, name, scopes, **kwargs)[1]


def token_client(token: str, **headers) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}", **headers})


def session_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client, url, body, **headers):
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers)
