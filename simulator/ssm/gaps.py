"""What moto 5.2's SSM Parameter Store lacks, closed here and only here.

- Value size: moto stores a value of any length. AWS refuses a Standard parameter's value over 4,096
  characters and an Advanced one's over 8,192 ("Managing parameter tiers", AWS Systems Manager User
  Guide, parameter-store-advanced-parameters.html; PutParameter, "Value": "Standard parameters have a
  value limit of 4 KB. Advanced parameters have a value limit of 8 KB."). Here PutParameter refuses them
  with AWS's ValidationException. Intelligent-Tiering takes up to 8,192 (it makes the parameter Advanced).
"""

from __future__ import annotations

from typing import Any

from moto.ssm.exceptions import ValidationException
from moto.ssm.models import SimpleSystemManagerBackend

from simulator.patching import Patch, Replace

STANDARD_VALUE_LIMIT = 4_096
ADVANCED_VALUE_LIMIT = 8_192

_original_put_parameter = SimpleSystemManagerBackend.put_parameter


def _put_parameter(
    self: SimpleSystemManagerBackend, name: str, description: str, value: str, *args: Any, **kwargs: Any
) -> Any:
    # moto's signature after value: type, allowed_pattern, keyid, overwrite, tags, data_type, tier, policies.
    given = kwargs["tier"] if "tier" in kwargs else (args[6] if len(args) > 6 else None)
    previous = self._parameters[name][-1] if self._parameters.get(name) else None
    # An Advanced parameter cannot go back to Standard: left out, the tier is the previous one's.
    tier = given or (previous.tier if previous is not None else None) or self.default_parameter_tier
    limit = STANDARD_VALUE_LIMIT if tier == "Standard" else ADVANCED_VALUE_LIMIT
    if value is not None and len(value) > limit:
        if tier == "Standard":
            raise ValidationException(
                f"Standard tier parameters support a maximum parameter value of {STANDARD_VALUE_LIMIT} characters. "
                "To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. "
                "For more information, see "
                "https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html"
            )
        raise ValidationException(
            f"1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length "
            f"less than or equal to {ADVANCED_VALUE_LIMIT}"
        )
    return _original_put_parameter(self, name, description, value, *args, **kwargs)


PATCHES: tuple[Patch, ...] = (Replace(SimpleSystemManagerBackend, "put_parameter", _put_parameter),)
