"""Receipt handles of the messages the simulated event source mapping delivers, and what a function may
do with one while it holds it: ChangeMessageVisibility (moto cannot: the simulation takes messages out
of moto to deliver them on the simulated clock, so moto knows no receipt of them).

"ChangeMessageVisibility" (Amazon SQS API Reference): the new timeout counts from the call ("the 10
seconds begin to count from the time that you make the ChangeMessageVisibility call"), it is 0 to
43,200 seconds (12 hours), and it applies to a message received and not yet deleted. A function that
fails a message can so bring it back sooner than the queue's visibility timeout; Lambda leaves a failed
message in the queue, where it "will again reappear" after that timeout ("Handling errors for an SQS
event source in Lambda").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.sqs.exceptions import InvalidParameterValue
from moto.sqs.models import SQSBackend

from simulator.patching import Patch, Replace

MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200

_ORIGINAL_CHANGE_MESSAGE_VISIBILITY = SQSBackend.change_message_visibility
# receipt handle -> (queue name, what the simulation does with a new visibility timeout)
_IN_FLIGHT: dict[str, tuple[str, Callable[[int], None]]] = {}


def hand_out(receipt_handle: str, queue_name: str, on_change: Callable[[int], None]) -> None:
    """A message is delivered under ``receipt_handle``: its holder may change its visibility."""
    _IN_FLIGHT[receipt_handle] = (queue_name, on_change)


def take_back(receipt_handle: str) -> None:
    """The delivery ended (the message deleted, or returned to its queue): the receipt is no longer valid."""
    _IN_FLIGHT.pop(receipt_handle, None)


def _change_message_visibility(self: SQSBackend, queue_name: str, receipt_handle: str, visibility_timeout: int) -> Any:
    held = _IN_FLIGHT.get(receipt_handle)
    if held is None:
        return _ORIGINAL_CHANGE_MESSAGE_VISIBILITY(self, queue_name, receipt_handle, visibility_timeout)
    held_queue, on_change = held
    if held_queue != queue_name:
        raise InvalidParameterValue(f"Value {receipt_handle} for parameter ReceiptHandle is invalid.")
    if not 0 <= int(visibility_timeout) <= MAX_VISIBILITY_TIMEOUT_SECONDS:
        raise InvalidParameterValue(
            f"Value {visibility_timeout} for parameter VisibilityTimeout is invalid. "
            f"Reason: Must be between 0 and {MAX_VISIBILITY_TIMEOUT_SECONDS}."
        )
    on_change(int(visibility_timeout))
    return None


def forget_receipts() -> None:
    """No delivery is under way (the simulation ended)."""
    _IN_FLIGHT.clear()


PATCHES: tuple[Patch, ...] = (Replace(SQSBackend, "change_message_visibility", _change_message_visibility),)
