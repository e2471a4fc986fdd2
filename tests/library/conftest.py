"""The library's stories: each template deployed from processes/ and driven over the API by
the people of its industry (the cast plus a store manager, warehouse staff, a teacher and a
director)."""

import json

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.conftest import PROCESSES, _user, deploy_file

# The customer most library stories raise their tickets for, and a returns request of hers.
WANG_FANG = {"customer_name": "Wang Fang", "customer_phone": "13812341234"}
RETURNS_VIP_REFUND = {
    **WANG_FANG,
    "customer_tier": "VIP",
    "item": "Headphones",
    "price": "1290.00",
    "days_since_purchase": 4,
    "condition": "opened",
    "request": "refund",
}
EXTRA_PEOPLE = {
    "lin": ["store_managers"],
    "wei": ["warehouse"],
    "ming": ["warehouse_east"],
    "zhou": ["teachers"],
    "qian": ["directors"],
}


class Desk:
    """The API as each person uses it: tasks are completed by whoever holds them (or, in a
    queue, by the first member of its group who claims it)."""

    def __init__(self, people: dict[str, User]):
        self.people = people
        self.clients: dict[str, Client] = {}

    def client(self, username: str) -> Client:
        if username not in self.clients:
            self.clients[username] = Client()
            self.clients[username].force_login(self.people[username])
        return self.clients[username]

    def post(self, username: str, url: str, body: dict, expect: int = 200) -> dict:
        response = self.client(username).post(
            url, json.dumps(body), content_type="application/json"
        )
        assert response.status_code == expect, response.content
        return response.json()

    def start(self, username: str, process: str, data: dict, **extra) -> dict:
        body = {"process": process, "data": data, **extra}
        return self.post(username, "/api/v1/tickets", body, expect=201)

    def ticket(self, number: str, username: str = "dave") -> dict:
        response = self.client(username).get(f"/api/v1/tickets/{number}")
        assert response.status_code == 200, response.content
        return response.json()

    def open_steps(self, number: str) -> list[str]:
        return sorted(t["bpmn_id"] for t in self.ticket(number)["open_tasks"])

    def holder(self, number: str, bpmn_id: str) -> tuple[str, dict]:
        task = next(t for t in self.ticket(number)["open_tasks"] if t["bpmn_id"] == bpmn_id)
        if task["assignee"]:
            return task["assignee"], task
        group = task["candidate_groups"][0]
        member = next(u for u, user in self.people.items() if _in(user, group))
        self.post(member, f"/api/v1/tasks/{task['id']}/claim", {})
        return member, task

    def complete(self, number: str, bpmn_id: str, data: dict, by: str | None = None) -> dict:
        holder, task = self.holder(number, bpmn_id)
        assert by is None or holder == by, f"{bpmn_id} is held by {holder}, not {by}"
        return self.post(holder, f"/api/v1/tasks/{task['id']}/complete", {"data": data})


def _in(user: User, group: str) -> bool:
    return user.groups.filter(name=group).exists()


@pytest.fixture
def desk(cast):
    people = {**cast, **{name: _user(name, groups) for name, groups in EXTRA_PEOPLE.items()}}
    return Desk(people)


@pytest.fixture
def deployed(db):
    def deploy(*keys):
        return [deploy_file(PROCESSES / f"{key}.bpmn") for key in keys]

    return deploy
