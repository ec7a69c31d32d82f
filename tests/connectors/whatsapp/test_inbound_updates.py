"""Statuses, account errors and system messages from the Cloud API, read into refbot's types.

Each case is a small body shaped like Meta's (and the recorded pywa ones, replayed when
../shared/data/whatsapp/pywa is present).
"""

from __future__ import annotations

import json
from typing import Any

from connectors.whatsapp.inbound import parse_updates
from refbot.models import AccountError, IgnoredUpdate, NumberChange, StatusUpdate
from refbot.sandbox.payloads import BusinessNumber, account_errors, error_entry, number_change, status_update
from tests.conftest import shared_data

BUSINESS = BusinessNumber("100000000000009")


def only(updates: list[Any]) -> Any:
    assert len(updates) == 1, updates
    return updates[0]


def test_a_played_voice_message_is_read() -> None:
    status = only(parse_updates(status_update(BUSINESS, "wamid.V", "played", "6281200000001", timestamp=7)))
    assert status == StatusUpdate("wamid.V", "read", recipient="6281200000001", timestamp=7)


def test_a_number_change_names_the_old_and_the_new_number() -> None:
    body = number_change(BUSINESS, "6281200000001", "6281299999999", wamid="wamid.S", timestamp=9)
    assert only(parse_updates(body)) == NumberChange("wamid.S", "6281200000001", "6281299999999", 9)


def test_a_number_change_in_the_older_shape_is_read_too() -> None:
    # Older API versions: "customer_changed_number" and the new id in "new_wa_id".
    body = number_change(BUSINESS, "6281200000001", "6281299999999", wamid="wamid.S")
    system = body["entry"][0]["changes"][0]["value"]["messages"][0]["system"]
    system["type"] = "customer_changed_number"
    system["new_wa_id"] = system.pop("wa_id")
    change = only(parse_updates(body))
    assert isinstance(change, NumberChange) and (change.old, change.new) == ("6281200000001", "6281299999999")


def test_a_number_change_without_the_new_number_is_ignored() -> None:
    body = number_change(BUSINESS, "6281200000001", "", wamid="wamid.S")
    assert isinstance(only(parse_updates(body)), IgnoredUpdate)


def test_account_errors_become_account_errors() -> None:
    body = account_errors(BUSINESS, [error_entry(130429, "Rate limit hit", "Cloud API message throughput reached")])
    body["entry"][0]["changes"][0]["value"]["errors"].append("not an object")
    first, second = parse_updates(body)
    assert first == AccountError(130429, "Rate limit hit", "Cloud API message throughput reached")
    assert isinstance(second, IgnoredUpdate) and second.kind == "error"


def test_recorded_payloads_for_played_and_number_change() -> None:
    folder = shared_data("whatsapp", "pywa")
    played = json.loads((folder / "message_status__played.json").read_text(encoding="utf-8"))
    status = only(parse_updates(played))
    assert isinstance(status, StatusUpdate) and status.status == "read"
    changed = json.loads((folder / "system__phone_number_change.json").read_text(encoding="utf-8"))
    assert only(parse_updates(changed)) == NumberChange("wamid.xyzxyz==", "972987654321", "972912345678", 1753851315)
    identity = json.loads((folder / "system__identity_change.json").read_text(encoding="utf-8"))
    assert only(parse_updates(identity)) == IgnoredUpdate("system", "customer_identity_changed")
