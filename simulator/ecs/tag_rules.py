"""ECS's rules for a tag, which moto 5.2 does not hold a request to: closed here and only here.

Tag (Amazon ECS API Reference): a key of 1 to 128 characters and a value of 0 to 256, both of the pattern
``([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)`` (letters, numbers, spaces and ``_ . : / = + - @``); "Maximum number of
tags per resource - 50"; "Do not use ``aws:``, ``AWS:``, or any upper or lowercase combination of such as a
prefix for either keys or values as it is reserved for AWS use. You cannot edit or delete tag keys or values
with this prefix. Tags with this prefix do not count against your tags per resource limit."

moto accepts any key and value on TagResource and CreateService: a service team's tag that ECS would refuse
(a smoke URL with ``?``, 51 tags) would pass in the simulation, and a story could rely on a tag no one can
write. Here both requests are refused with InvalidParameterException, as the API's validation refuses a
value outside its constraints; the document gives no message, so the message says which rule failed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.responses import EC2ContainerServiceResponse

from simulator.patching import Patch, Wrap

MAX_KEY = 128
MAX_VALUE = 256
MAX_TAGS = 50
# \p{L} letters, \p{N} numbers, \p{Z} separators: Python's \w is letters, numbers and "_" of every script;
# the separators are the space characters of category Z (no tab, no line feed: those are Cc).
_ALLOWED = re.compile("[\\w _.:/=+\\-@\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*")
_RESERVED = "aws:"


def refused(tags: list[dict[str, Any]], already: dict[str, str]) -> str | None:
    """Why ECS would refuse to put ``tags`` on a resource that has ``already``; None when it would not."""
    for tag in tags:
        key, value = str(tag.get("key", "")), str(tag.get("value") or "")
        if not 1 <= len(key) <= MAX_KEY:
            return f"tag key {key!r} must be 1 to {MAX_KEY} characters"
        if len(value) > MAX_VALUE:
            return f"tag value of {key!r} must be at most {MAX_VALUE} characters"
        if not _ALLOWED.fullmatch(key) or not _ALLOWED.fullmatch(value):
            return f"tag {key!r}: keys and values hold letters, numbers, spaces and _ . : / = + - @ only"
        if key.lower().startswith(_RESERVED) or value.lower().startswith(_RESERVED):
            return f"tag {key!r}: the aws: prefix is reserved for AWS use"
    keys = {k for k in already if not k.lower().startswith(_RESERVED)} | {str(t.get("key")) for t in tags}
    if len(keys) > MAX_TAGS:
        return f"a resource holds at most {MAX_TAGS} tags; this would make {len(keys)}"
    return None


def _tag_resource(original: Callable[[EC2ContainerServiceResponse], ActionResult]) -> Any:
    def tag_resource(self: EC2ContainerServiceResponse) -> ActionResult:
        already = {
            t["key"]: t.get("value", "")
            for t in self.ecs_backend.list_tags_for_resource(self._get_param("resourceArn"))
        }
        why = refused(self._get_param("tags") or [], already)
        if why is not None:
            raise InvalidParameterException(why)
        return original(self)

    return tag_resource


def _create_service(original: Callable[[EC2ContainerServiceResponse], ActionResult]) -> Any:
    def create_service(self: EC2ContainerServiceResponse) -> ActionResult:
        why = refused(self._get_param("tags") or [], {})
        if why is not None:
            raise InvalidParameterException(why)
        return original(self)

    return create_service


PATCHES: tuple[Patch, ...] = (
    Wrap(EC2ContainerServiceResponse, "tag_resource", _tag_resource),
    Wrap(EC2ContainerServiceResponse, "create_service", _create_service),  # over ecs_gaps' create_service
)
