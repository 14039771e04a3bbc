"""SQS as strict as SQS about what a message may hold (moto 5.2 is more lenient), closed here only.

- Size: moto compares the body's length in *characters* with the queue's ``MaximumMessageSize``; SQS
  counts *bytes* (UTF-8), and every part of each message attribute (name, type, value) counts too
  ("SendMessage", Amazon SQS API Reference: "The maximum size is 1 MiB or 1,048,576 bytes"; "All parts
  of the message attribute, including Name, Type, and Value, are part of the message size
  restriction"). A body of 300,000 "é" is 600,000 bytes: SQS refuses it where moto took it.
- Characters: SQS refuses a message with a character outside ``#x9 | #xA | #xD | #x20 to #xD7FF |
  #xE000 to #xFFFD | #x10000 to #x10FFFF`` (InvalidMessageContents; "Amazon SQS message quotas");
  moto takes any.
"""

from __future__ import annotations

import re
from typing import Any

from moto.core.exceptions import ServiceException
from moto.sqs.exceptions import InvalidParameterValue
from moto.sqs.models import SQSBackend

from simulator.patching import Patch, Replace

_ORIGINAL_SEND_MESSAGE = SQSBackend.send_message
_OUTSIDE_ALLOWED = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class InvalidMessageContents(ServiceException):
    code = "InvalidMessageContents"
    message = "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | ..."


def message_size(body: str, attributes: dict[str, Any] | None) -> int:
    """The size SQS holds against ``MaximumMessageSize``: the body and every attribute, in bytes."""
    size = len(body.encode("utf-8", errors="surrogatepass"))
    for name, attribute in (attributes or {}).items():
        size += len(name.encode())
        for part in attribute.values() if isinstance(attribute, dict) else ():
            size += len(part) if isinstance(part, bytes) else len(str(part).encode("utf-8", errors="surrogatepass"))
    return size


def _send_message(self: SQSBackend, queue_name: str, message_body: str, *args: Any, **kwargs: Any) -> Any:
    queue = self.get_queue(queue_name)
    limit = int(queue.maximum_message_size)  # type: ignore[attr-defined]
    size = message_size(message_body, kwargs.get("message_attributes"))
    if size > limit:
        raise InvalidParameterValue(
            f"One or more parameters are invalid. Reason: Message must be shorter than {limit} bytes."
        )
    if _OUTSIDE_ALLOWED.search(message_body):
        raise InvalidMessageContents()
    return _ORIGINAL_SEND_MESSAGE(self, queue_name, message_body, *args, **kwargs)


PATCHES: tuple[Patch, ...] = (Replace(SQSBackend, "send_message", _send_message),)
