"""SNS as strict as the Publish API reference about a subject (moto 5.2 is more lenient), closed here only.

"Subjects must be UTF-8 text with no line breaks or control characters, and less than 100 characters
long" (Amazon SNS API Reference, Publish). moto refuses only more than 100 characters (AWS is reported
to accept exactly 100: getmoto/moto#1503); here the document's limit holds, so code that sends 100
fails in the simulation, and code right under both readings (at most 99) passes in both.
"""

from __future__ import annotations

import re
from typing import Any

from moto.sns.models import SNSBackend

from simulator.patching import Patch, Replace

_ORIGINAL_PUBLISH = SNSBackend.publish
SUBJECT_LIMIT = 99  # "less than 100 characters"
_LINE_BREAK_OR_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _publish(self: SNSBackend, message: str, *args: Any, **kwargs: Any) -> Any:
    subject = kwargs.get("subject")
    if subject is not None:
        # moto's responses turn a ValueError into InvalidParameter, as SNS answers.
        if len(subject) > SUBJECT_LIMIT:
            raise ValueError("Subject must be less than 100 characters long")
        if _LINE_BREAK_OR_CONTROL.search(subject):
            raise ValueError("Subject must not contain line breaks or control characters")
    return _ORIGINAL_PUBLISH(self, message, *args, **kwargs)


PATCHES: tuple[Patch, ...] = (Replace(SNSBackend, "publish", _publish),)
