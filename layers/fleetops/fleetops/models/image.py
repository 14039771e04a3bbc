"""Container image references, parsed as Docker and ECS read them: registry, repository, tag, digest.

The grammar is Docker's (distribution/reference, ``regexp.go`` and ``normalize.go``):

    reference  := name [ ":" tag ] [ "@" digest ]
    name       := [ registry "/" ] path-component [ "/" path-component ]*

- The first path element is a registry only when it holds a ``.`` or a ``:`` (a host or a port), is
  ``localhost``, or has an upper-case letter; otherwise the image is on Docker Hub (``docker.io``), and
  a one-element name there is an official image under ``library/`` (``nginx`` is
  ``docker.io/library/nginx``; ``index.docker.io`` is Docker Hub's legacy name).
- Registry host names are compared in lower case (DNS names are case-insensitive); the repository
  path must be lower case, as Docker refuses any other.
- A reference with neither tag nor digest means the tag ``latest`` (what Docker pulls). A reference
  with a digest and no tag has no tag: nothing can be said of one.
- ECS accepts only sha256 digests, "exactly 64 characters (only letters A-F, a-f, and numbers 0-9)"
  (RegisterTaskDefinition, ContainerDefinition ``image``); they are kept in lower case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DOCKER_HUB = "docker.io"
_DOCKER_HUB_ALIASES = frozenset({DOCKER_HUB, "index.docker.io"})
OFFICIAL_IMAGES = "library/"
DEFAULT_TAG = "latest"
# Docker's NameTotalLengthMax; ECS too counts 255 for "the repository URL and image name".
NAME_MAX = 255

_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_REGISTRY = re.compile(rf"^(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$")
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REPOSITORY = re.compile(rf"^{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[a-fA-F0-9]{64}$")
_IMAGE_ID = re.compile(r"^[a-f0-9]{64}$")


class ImageReferenceError(ValueError):
    """The text is not an image reference Docker or ECS would accept."""


@dataclass(frozen=True, slots=True)
class ImageReference:
    registry: str  # lower case, with its port: "registry.example.com:5000"; "docker.io" for Docker Hub
    repository: str  # "web", "team/web", "library/nginx"
    tag: str | None  # "latest" when neither tag nor digest was written; None with a digest alone
    digest: str | None  # "sha256:<64 lower-case hex>"

    @property
    def name(self) -> str:
        return f"{self.registry}/{self.repository}"

    def __str__(self) -> str:
        return self.name + (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")


def parse_image_reference(text: str) -> ImageReference:
    """``text`` as a reference, normalised; raises ImageReferenceError saying what is wrong."""
    if not text or text != text.strip() or any(c.isspace() for c in text):
        raise ImageReferenceError(f"{text!r} is not an image reference: it is empty or holds white space")
    remainder, at, digest = text.partition("@")
    if at:
        digest = parse_digest(digest)
    name, tag = _split_tag(remainder)
    if len(name) > NAME_MAX:
        raise ImageReferenceError(f"{text!r}: the name is {len(name)} characters long, at most {NAME_MAX} are allowed")
    if _IMAGE_ID.match(name):
        raise ImageReferenceError(f"{text!r} is an image ID, not a repository name")
    registry, repository = _split_registry(name)
    if not _REGISTRY.match(registry):
        raise ImageReferenceError(f"{text!r}: {registry!r} is not a registry host (name or address, optional :port)")
    if not _REPOSITORY.match(repository):
        raise ImageReferenceError(
            f"{text!r}: {repository!r} is not a repository name (lower-case letters, digits and . _ - separators, "
            "in /-separated parts)"
        )
    if tag is not None and not _TAG.match(tag):
        raise ImageReferenceError(
            f"{text!r}: {tag!r} is not a tag (up to 128 letters, digits, _ . -, not starting with . or -)"
        )
    if tag is None and not at:
        tag = DEFAULT_TAG
    return ImageReference(registry.lower(), repository, tag, digest or None)


def parse_digest(text: str) -> str:
    if not _DIGEST.match(text):
        raise ImageReferenceError(f"{text!r} is not an image digest: sha256: and 64 hexadecimal digits")
    return text.lower()


def is_digest(text: str) -> bool:
    return _DIGEST.match(text) is not None


def _split_tag(remainder: str) -> tuple[str, str | None]:
    """``host:5000/web:2`` -> (``host:5000/web``, ``2``): a tag's colon comes after the last slash."""
    colon = remainder.rfind(":")
    if colon > remainder.rfind("/"):
        return remainder[:colon], remainder[colon + 1 :]
    return remainder, None


def _split_registry(name: str) -> tuple[str, str]:
    first, slash, rest = name.partition("/")
    if not slash:
        return DOCKER_HUB, OFFICIAL_IMAGES + name
    if first.lower() in _DOCKER_HUB_ALIASES:
        registry, repository = DOCKER_HUB, rest
    elif first == "localhost" or any(c in first for c in ".:") or first.lower() != first:
        return first, rest
    else:
        registry, repository = DOCKER_HUB, name
    if "/" not in repository:
        repository = OFFICIAL_IMAGES + repository
    return registry, repository
