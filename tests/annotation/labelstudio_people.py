"""People of a Label Studio server for the interop tests: users who sign up through the
admin's invite link (Label Studio's own flow) and annotate with their own API token."""

from __future__ import annotations

from typing import Any

import requests
from label_studio_sdk import LabelStudio


def ls_admin(server: Any) -> LabelStudio:
    return LabelStudio(base_url=server.url, api_key=server.token)


def ls_signup(server: Any, email: str, password: str = "annotate-it-2026") -> LabelStudio:
    """A new Label Studio user (signed up through the invite link) and a client acting as them."""
    invite = requests.get(server.url + "/api/invite", headers={"Authorization": f"Token {server.token}"}, timeout=10)
    invite.raise_for_status()
    link = server.url + invite.json()["invite_url"]
    session = requests.Session()
    session.get(link, timeout=10)
    answer = session.post(
        link,
        data={"email": email, "password": password, "csrfmiddlewaretoken": session.cookies.get("csrftoken", "")},
        headers={"Referer": link},
        timeout=30,
    )
    answer.raise_for_status()
    token = session.get(server.url + "/api/current-user/token", timeout=10)
    token.raise_for_status()
    return LabelStudio(base_url=server.url, api_key=token.json()["token"])


def result_items(events: list[dict[str, Any]], candidates: list[list[str]]) -> list[dict[str, Any]]:
    """Label Studio result items for our labels of a task's interactions, in order; a
    product among the event's candidates is chosen, any other is typed in."""
    items: list[dict[str, Any]] = []
    for idx, e in enumerate(events):
        to = f"view1_{idx}"
        items.append({"from_name": f"action_{idx}", "to_name": to, "type": "choices",
                      "value": {"choices": [e["action"]]}})
        if e.get("sku"):
            if e["sku"] in candidates[idx]:
                items.append({"from_name": f"product_{idx}", "to_name": to, "type": "choices",
                              "value": {"choices": [e["sku"]]}})
            else:
                items.append({"from_name": f"other_sku_{idx}", "to_name": to, "type": "textarea",
                              "value": {"text": [e["sku"]]}})
        if e.get("quantity"):
            items.append({"from_name": f"quantity_{idx}", "to_name": to, "type": "number",
                          "value": {"number": e["quantity"]}})
        if e.get("track_id") is not None:
            items.append({"from_name": f"shopper_{idx}", "to_name": to, "type": "choices",
                          "value": {"choices": [str(e["track_id"])]}})
    return items
