"""A dead letter fits SQS whatever the event: measured in UTF-8 bytes after JSON encoding, escaping
included; the event is cut, never the reason."""

from __future__ import annotations

import json

import pytest

from fleetops.aws.messaging import SQS_BODY_LIMIT, dead_letter_body
from fleetops.errors import REASON_LIMIT, BadInputError

REASON = "required field 'LifecycleActionToken' is missing or empty"
MEBIBYTE = 1024 * 1024


def test_a_small_event_is_kept_whole() -> None:
    event = {"detail-type": "EC2 Instance-terminate Lifecycle Action", "detail": {}}

    kept = json.loads(dead_letter_body(event, REASON, "drain"))

    assert kept == {"reason": REASON, "function": "drain", "event": event}


# Each filler grows differently on the way into the body: a quote or a backslash doubles (once as the
# event's JSON text, again as a string inside the body), "é" becomes \u00e9, an emoji a surrogate pair
# of escapes, a NUL \u0000 (a character SQS refuses raw).
@pytest.mark.parametrize("filler", ['"', "\\", "é", "😀", "\x00", "a", '\\"é😀'])
def test_an_event_with_a_one_mebibyte_field_is_cut_to_fit_and_keeps_its_reason(filler: str) -> None:
    event = {"detail-type": "EC2 Instance-terminate Lifecycle Action", "detail": {"note": filler * MEBIBYTE}}
    text = json.dumps(event)

    body = dead_letter_body(event, REASON, "drain")

    assert body.isascii()  # every character SQS accepts; its UTF-8 size is its length
    assert SQS_BODY_LIMIT - 2 <= len(body.encode()) <= SQS_BODY_LIMIT  # as much of the event as fits
    kept = json.loads(body)
    assert kept["reason"] == REASON and kept["function"] == "drain"
    assert kept["event_bytes"] == len(text) and text.startswith(kept["event_truncated"])


def test_a_reason_too_long_for_any_dead_letter_is_cut_as_a_last_resort() -> None:
    body = dead_letter_body({"detail": {}}, "x" * MEBIBYTE, "scale")

    assert len(body.encode()) <= SQS_BODY_LIMIT
    assert json.loads(body)["reason"] == "x" * (SQS_BODY_LIMIT // 2)


def test_a_bad_input_reason_quotes_at_most_a_bounded_part_of_the_input() -> None:
    reason = f"field 'EC2InstanceId' is not an EC2 instance id: {'i-' + 'f' * MEBIBYTE!r}"

    error = BadInputError(reason)

    assert str(error) == f"{reason[:REASON_LIMIT]}... ({len(reason) - REASON_LIMIT} more characters of the input)"
