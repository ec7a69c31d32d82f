"""A consortium's webhook is cut up by the number each change came to."""

from __future__ import annotations

import json

from refbot.intake.routing import split_by_number
from refbot.sandbox.payloads import BusinessNumber, encode, text_message

LIBRARIES = {"111": "undip", "222": "unnes"}


def _changes(body: dict) -> list[str]:
    return [c["value"]["messages"][0]["text"]["body"] for e in body["entry"] for c in e["changes"]]


def test_each_change_goes_to_the_library_whose_number_received_it() -> None:
    a = json.loads(encode(text_message(BusinessNumber("111"), "6281200000001", "arsip dinamis")))
    b = json.loads(encode(text_message(BusinessNumber("222"), "6281200000002", "sastra anak")))
    a["entry"][0]["changes"].extend(b["entry"][0]["changes"])  # Meta batches changes of one account
    split = split_by_number(a, LIBRARIES)
    assert _changes(split.bodies["undip"]) == ["arsip dinamis"]
    assert _changes(split.bodies["unnes"]) == ["sastra anak"]
    assert split.unknown == []


def test_a_number_no_library_has_is_set_aside() -> None:
    body = json.loads(encode(text_message(BusinessNumber("999"), "6281200000001", "halo")))
    split = split_by_number(body, LIBRARIES)
    assert split.bodies == {} and split.unknown == ["999"]


def test_a_change_about_the_whole_account_reaches_every_library() -> None:
    body = {"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [
        {"field": "account_alerts", "value": {"entity_type": "WABA", "alert_info": {"alert_type": "x"}}}]}]}
    split = split_by_number(body, LIBRARIES)
    assert set(split.bodies) == {"undip", "unnes"}
    assert split.bodies["undip"]["entry"][0]["changes"][0]["field"] == "account_alerts"


def test_odd_entries_are_passed_on_as_they_are_and_the_body_is_not_changed() -> None:
    # Shapes the webhook fuzzing found: an entry whose changes are not a list, then one without an id
    # whose changes are not all objects. They once sent the split into a loop that never ended.
    body = {"object": "whatsapp_business_account", "entry": [
        {"changes": {"": [], "x": {}}, "id": [None]},
        {"changes": [None, ["W"], [False, None], ["W"], [False, None]]},
    ]}
    before = json.dumps(body)
    split = split_by_number(body, LIBRARIES)
    assert json.dumps(body) == before, "the body as it came is left alone"
    for library in ("undip", "unnes"):
        first, second = split.bodies[library]["entry"]
        assert first == body["entry"][0]
        assert second["changes"] == body["entry"][1]["changes"], "changes naming no number reach every library once"
