"""One botocore loader per process, for every session the simulation makes, and the other read-only
work botocore and moto would otherwise repeat for every client and every request.

botocore parses a service's JSON model once per *session* (EC2's is several megabytes), and lists its
data directories on disk each time; the simulated account makes hundreds of sessions (the account's,
each function's role at cold start, Powertools' persistence layer, each test's). Measured on the suite:
28 of 111 CPU seconds went to loading the same models again. The models are read-only, so sharing the
parsed copies changes nothing but the time. Installed with every other patch by ``simulator.moto_patches``.

The same holds, measured on the suite, for six smaller costs:
- each new client builds a Python function for every operation of its service (about 4 ms a client;
  the simulation makes hundreds of clients per test): built once per service model, each client still
  gets its own class, made by botocore as before (its ``creating-client-class`` event still fires);
- each new client starts with an empty cache of botocore's event-name aliases, so every event it emits
  walks the alias table again: one process-wide cache of that fixed table's answers;
- moto lists every method of a response class with ``inspect.getmembers`` at every request (half a
  millisecond) only to ask whether the action is one of them: it asks about that one name instead;
- moto makes a 2,048-bit RSA key for every SNS subscription that delivers a message (about 80 ms), to
  sign messages nothing in the simulation verifies: one key per process signs them all;
- moto makes a 2,048-bit RSA key for every KMS key too (about 90 ms a deploy of the stack's topic key),
  even a symmetric one, which never signs: one per process serves every key that is not asymmetric
  (an RSA or ECC key spec still gets its own, as moto makes it);
- moto's response serializer looks for every member of every response shape under several names, and
  works the names out again for every member of every response (six alias providers built, asked and
  dropped each time). The names depend only on the picker, the object's class, the member's name and
  its shape (and the shape's parent): worked out once, then looked up; the value is still read from the
  object at every response, trying the same names in the same order;
- botocore makes a TLS context for each new client (``ssl.SSLContext``: 0.55 of a client's 5.7 ms),
  which no client uses here: one made once.
Those two and the template checked once per text (``cloudformation.stack``): 6.5 % less CPU on
tests/integration/test_drain.py and test_verify_triggers.py (99.5 s -> 93.0 s, user + system).
"""

from __future__ import annotations

import functools
import inspect
import os
import ssl
from typing import Any

import boto3
import boto3.session
import botocore.client
import botocore.hooks
import botocore.httpsession
import botocore.loaders
import botocore.session
import moto.core.constants
import moto.core.responses
import moto.core.serialize
import moto.core.utils
import moto.kms.models
from cryptography.hazmat.primitives.asymmetric import rsa
from moto.kms.utils import AbstractPrivateKey
from moto.kms.utils import generate_private_key as _moto_key_material
from moto.sns.models import Subscription

from simulator.patching import Patch, Replace

_LOADERS: dict[str | None, botocore.loaders.Loader] = {}
_ORIGINAL_CREATE_LOADER = botocore.session.create_loader
_BOTO3_DATA = os.path.join(os.path.dirname(boto3.__file__), "data")


def _shared_loader(search_path_string: str | None = None) -> botocore.loaders.Loader:
    if search_path_string not in _LOADERS:
        _LOADERS[search_path_string] = _ORIGINAL_CREATE_LOADER(search_path_string)
    return _LOADERS[search_path_string]


def _setup_loader(self: boto3.session.Session) -> None:
    """boto3 appends its resource models' directory to the loader at every Session(): once is enough for
    a shared loader (the list would otherwise grow with every session)."""
    self._loader = self._session.get_component("data_loader")
    if _BOTO3_DATA not in self._loader.search_paths:
        self._loader.search_paths.append(_BOTO3_DATA)


# (service name, API version, id of the shared loader's parsed model) -> the operations' methods. The model
# is kept alive beside them, so that its id is never reused for another model.
_METHODS: dict[tuple[str, str, int], tuple[object, dict[str, Any]]] = {}
_ORIGINAL_CREATE_METHODS = getattr(botocore.client.ClientCreator, "_create_methods")  # noqa: B009 (private: untyped)


def _shared_methods(self: Any, service_model: Any) -> dict[str, Any]:
    """The operations' methods of a service model, built once; a fresh dict each time, since the
    ``creating-client-class`` handlers add to it."""
    description = service_model._service_description
    key = (service_model.service_name, service_model.api_version, id(description))
    if key not in _METHODS:
        _METHODS[key] = (description, _ORIGINAL_CREATE_METHODS(self, service_model))
    return dict(_METHODS[key][1])


_ALIASES: dict[str, str] = {}
_ORIGINAL_ALIAS_EVENT_NAME = getattr(botocore.hooks.EventAliaser, "_alias_event_name")  # noqa: B009 (private: untyped)


def _shared_alias_event_name(self: Any, event_name: str) -> str:
    """botocore's own answer, remembered for the whole process where the table is botocore's fixed one."""
    if event_name in self._alias_name_cache:
        return str(self._alias_name_cache[event_name])
    if self._event_aliases != botocore.hooks.EVENT_ALIASES:
        return str(_ORIGINAL_ALIAS_EVENT_NAME(self, event_name))
    if event_name not in _ALIASES:
        _ALIASES[event_name] = _ORIGINAL_ALIAS_EVENT_NAME(self, event_name)
    self._alias_name_cache[event_name] = _ALIASES[event_name]
    return _ALIASES[event_name]


class _FunctionsOf:
    """The names of a class's functions, as ``method_names_from_class`` lists them (``inspect.getmembers``
    with ``isfunction``), asked one name at a time and always of the class as it is now: the gap modules
    add methods to moto's response classes while the suite runs."""

    def __init__(self, clazz: type) -> None:
        self._clazz = clazz

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and inspect.isfunction(getattr(self._clazz, name, None))


def _one_signing_key(_subscription: Subscription) -> rsa.RSAPrivateKey:
    """moto signs the SNS messages it delivers with a 2,048-bit RSA key made per subscription (about 80 ms
    each: a test's account has several); nothing in the simulation checks the signature, so one key made
    once per process signs them all."""
    return _signing_key()


@functools.cache
def _signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _key_material(key_spec: str) -> AbstractPrivateKey:
    """moto's KMS gives every key a private key for Sign/Verify, an RSA one for a symmetric or HMAC key
    (about 90 ms each); KMS refuses Sign and Verify on those keys, so one made once serves them all. Every
    other key spec (RSA, ECC, SM2: keys that sign) gets its own, as moto makes it."""
    if key_spec == "SYMMETRIC_DEFAULT" or key_spec.startswith("HMAC_"):
        return _symmetric_key_material()
    return _moto_key_material(key_spec)


@functools.cache
def _symmetric_key_material() -> AbstractPrivateKey:
    return _moto_key_material("SYMMETRIC_DEFAULT")


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    context: ssl.SSLContext = botocore.httpsession.create_urllib3_context()
    return context


def _one_ssl_context(_session: Any) -> ssl.SSLContext:
    """botocore makes a TLS context for every client's connection pool; in the simulated AWS no client
    ever opens a connection (moto answers every request before it is sent), so one context made once
    serves them all."""
    return _ssl_context()


# (picker class, its alias providers, the object's class, member name, id of the shape, id of its parent) ->
# (the shape, its parent and the providers, kept alive so that their ids are never reused; the names, in order).
_POSSIBLE_KEYS: dict[tuple[type, int, type, str, int, int], tuple[object, object, object, tuple[str, ...]]] = {}
_ORIGINAL_PICK = moto.core.serialize.AttributePicker.__call__


def _possible_keys(picker: Any, context: Any) -> tuple[str, ...] | None:
    """The names ``picker`` tries for ``context``'s member, in its order; None where they could depend on
    the object itself rather than its class (an instance's own ``Meta``, a class answering any attribute)."""
    obj, shape = context.obj, context.shape
    kind = type(obj)
    if hasattr(kind, "__getattr__") or "Meta" in getattr(obj, "__dict__", ()):
        return None
    parent = getattr(shape, "parent", None)
    providers = picker.alias_providers
    key = (type(picker), id(providers), kind, context.key, id(shape), id(parent))
    known = _POSSIBLE_KEYS.get(key)
    if known is None or known[0] is not shape or known[1] is not parent or known[2] is not providers:
        known = (shape, parent, providers, tuple(picker.get_possible_keys(context)))
        _POSSIBLE_KEYS[key] = known
    return known[3]


def _pick_attribute(self: Any, context: Any) -> Any:
    """moto's ``AttributePicker.__call__``, with the names to try looked up (``_possible_keys``)."""
    names = _possible_keys(self, context)
    if names is None:
        return _ORIGINAL_PICK(self, context)
    value = None
    for name in names:
        found = moto.core.utils.get_value(context.obj, name, moto.core.constants.MISSING)
        if found is not moto.core.constants.MISSING:
            value = found
            break
    key_path = f"{context.key_path}.{context.key}"
    for transform_path, transform in self.response_transformers.items():
        if key_path.endswith(transform_path):
            value = transform(value)
            break
    return value


# moto's responses module calls the name it imported: that name is patched (``in`` is all it asks of it).
PATCHES: tuple[Patch, ...] = (
    Replace(Subscription, "private_key", _one_signing_key),
    Replace(moto.kms.models, "generate_private_key", _key_material),
    Replace(botocore.session, "create_loader", _shared_loader),
    Replace(boto3.session.Session, "_setup_loader", _setup_loader),
    Replace(botocore.client.ClientCreator, "_create_methods", _shared_methods),
    Replace(botocore.hooks.EventAliaser, "_alias_event_name", _shared_alias_event_name),
    Replace(moto.core.responses, "method_names_from_class", _FunctionsOf),
    Replace(moto.core.serialize.AttributePicker, "__call__", _pick_attribute),
    Replace(botocore.httpsession.URLLib3Session, "_get_ssl_context", _one_ssl_context),
)
