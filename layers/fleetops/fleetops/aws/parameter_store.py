"""SSM Parameter Store: the configuration documents a stack keeps under ``ConfigParameterPrefix``,
read once per cold start with GetParameter (the role may read only those two names)."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from fleetops.aws.clients import THROTTLED_OR_UNAVAILABLE, AwsClients, error_code, error_message
from fleetops.observability import logger
from fleetops.stored_configuration import ParameterStoreError, ParameterStoreUnavailable

# Answers that say nothing about the parameter: try the cold start again later (SSM names its own server
# failure InternalServerError).
_TRANSIENT_CODES = THROTTLED_OR_UNAVAILABLE | {"InternalServerError"}


class ParameterStore:
    """Reads String parameters. Each read is logged with what was found, so a cold start's logs say
    which configuration the function runs with."""

    def __init__(self, clients: AwsClients) -> None:
        self._clients = clients  # the SSM client is built on the first read: none without a prefix

    def read(self, name: str) -> str | None:
        try:
            # WithDecryption stays false: the configuration holds no secret, and the role is given no
            # kms:Decrypt. A SecureString then comes back as ciphertext, refused below by its Type.
            answer = self._clients.ssm.get_parameter(Name=name, WithDecryption=False)
        except ClientError as error:
            # GetParameter on a name that does not exist: ParameterNotFound (API reference, GetParameter).
            if error_code(error) == "ParameterNotFound":
                # Allowed (a stack may configure only one job), but worth seeing: a typo in the prefix looks
                # the same.
                logger.warning("configuration parameter absent: none configured", extra={"parameter": name})
                return None
            status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            if error_code(error) in _TRANSIENT_CODES or status >= 500:
                raise ParameterStoreUnavailable(
                    f"Parameter Store did not answer for {name} ({error_code(error)}) after its retries: "
                    "the configuration was not read; the invocation fails and is tried again"
                ) from error
            raise ParameterStoreError(
                f"could not read SSM parameter {name}: {error_code(error)}: {error_message(error)}"
                + (
                    f" (the function's role needs ssm:GetParameter on {name})"
                    if error_code(error) in ("AccessDeniedException", "AccessDenied")
                    else ""
                )
            ) from error
        except BotoCoreError as error:  # no connection, a timeout: nothing known about the parameter
            raise ParameterStoreUnavailable(
                f"Parameter Store could not be reached for {name} ({error}): the invocation fails and is tried again"
            ) from error
        parameter = answer.get("Parameter", {})
        kind = str(parameter.get("Type", ""))
        if kind != "String":
            raise ParameterStoreError(
                f"SSM parameter {name} is a {kind or 'parameter of no type'}, not a String: store the JSON as a "
                "String parameter (aws ssm put-parameter --type String --value file://...); the configuration "
                "holds no secret and the function is not allowed to decrypt one"
            )
        value = str(parameter.get("Value", ""))
        logger.info(
            "configuration parameter read",
            extra={"parameter": name, "version": parameter.get("Version"), "characters": len(value)},
        )
        return value
