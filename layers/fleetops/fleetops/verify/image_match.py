"""Does a container run the image a CI job expects? Images compared as references, not as text.

ECS resolves an image tag to a digest for every service deployment ("Container image resolution",
Amazon ECS Developer Guide), and DescribeTasks has reported a container's ``image`` in three forms
since: as written in the task definition (``repo:tag``), as ``repo@sha256:…`` (from July to September
2024), and as ``repo:tag@sha256:…`` (amazon-ecs-agent issue 4226, PR 4256), with ``imageDigest`` set.
So:

- an expected ``repo:tag`` (or ``repo``, meaning ``repo:latest``) matches a container whose image has
  that registry, repository and tag, with or without a digest. An image reported by digest alone
  names no tag: it does not match, and the failure says to pass the digest instead;
- an expected digest (``repo@sha256:…``, ``repo:tag@sha256:…`` or a bare ``sha256:…``) matches the
  digest in the reported image or the container's ``imageDigest``. A digest names content, so the
  repository is not compared (the same image replicated to another ECR region, or behind a pull
  through cache, has the same digest), nor the tag (Docker ignores a tag given with a digest). For a
  multi-architecture image ECS reports the image index (manifest list) digest, not a platform's
  manifest digest: the index digest is the one to pass, and a failure shows the digest compared.
"""

from __future__ import annotations

from dataclasses import dataclass

from fleetops.errors import BadInputError
from fleetops.models.ecs import TaskContainer
from fleetops.models.image import ImageReference, ImageReferenceError, is_digest, parse_digest, parse_image_reference


@dataclass(frozen=True, slots=True)
class ExpectedImage:
    reference: ImageReference | None  # None for a bare digest
    digest: str | None

    def __str__(self) -> str:
        return str(self.reference) if self.reference is not None else str(self.digest)

    @property
    def by_digest(self) -> bool:
        return self.digest is not None

    def runs_in(self, container: TaskContainer) -> bool:
        reported = reported_reference(container.image)
        if self.digest is not None:
            reported_digest = reported.digest if reported is not None else None
            image_digest = container.image_digest.lower() if is_digest(container.image_digest) else None
            return self.digest in (reported_digest, image_digest)
        assert self.reference is not None
        return (
            reported is not None
            and reported.name == self.reference.name
            and reported.tag is not None
            and reported.tag == self.reference.tag
        )


def parse_expected_image(text: str) -> ExpectedImage:
    """What a CI job passes as ``expected_image``; a malformed one is bad input, never a mismatch."""
    try:
        if text.lower().startswith("sha256:"):
            # A digest, however cut: ``sha256:abc`` is a valid name for Docker Hub's library/sha256:abc,
            # which is never what a CI job meant.
            return ExpectedImage(reference=None, digest=parse_digest(text))
        reference = parse_image_reference(text)
    except ImageReferenceError as error:
        raise BadInputError(
            f"expected_image must be an image reference (repo:tag, repo@sha256:<64 hex>, repo:tag@sha256:<64 hex>) "
            f"or a digest (sha256:<64 hex>): {error}"
        ) from error
    return ExpectedImage(reference=reference, digest=reference.digest)


def reported_reference(image: str) -> ImageReference | None:
    """The image DescribeTasks reports, parsed; None when it is not a reference (nothing matches it)."""
    try:
        return parse_image_reference(image)
    except ImageReferenceError:
        return None


def describe_container_image(container: TaskContainer) -> str:
    """``web: registry.example.com/web:2@sha256:… (imageDigest sha256:…)``: the evidence of a mismatch."""
    digest = container.image_digest or "not reported"
    return f"{container.name}: {container.image or '(no image reported)'} (imageDigest {digest})"


def mismatch_hint(expected: ExpectedImage, mismatched: list[TaskContainer]) -> str:
    """What the user should pass instead, where the containers say it."""
    if expected.by_digest:
        return (
            f"compared {expected.digest} with each container's image digest and imageDigest; for a multi-arch image "
            "ECS reports the image index digest: pass that one"
        )
    untagged = [c for c in mismatched if (r := reported_reference(c.image)) is not None and r.tag is None]
    if untagged:
        return f"{len(untagged)} container(s) report a digest and no tag: pass the image's digest to compare"
    return ""
