"""ECS container image resolution, which moto lacks: moto's DescribeTasks reports a container's image as the
task definition wrote it, and no ``imageDigest``.

ECS resolves each container's image tag to a digest for every service deployment and starts the
deployment's tasks from that digest ("Container image resolution", Amazon ECS Developer Guide;
``ContainerImage``, Amazon ECS API Reference). DescribeTasks then reports the ``Container`` as
``image`` ``repo:tag@sha256:…`` and ``imageDigest`` ``sha256:…`` (amazon-ecs-agent issue 4226; PR 4256:
an image written without a tag is reported as ``repo:latest@sha256:…``). An image written with a digest
keeps it. For a multi-arch image the digest is the image index's (amazon-ecs-agent PR 3576).

The simulated registry holds every tag once, pushed with a digest derived from the reference (so two
releases of different tags have different digests, and one tag always the same);
``SimulatedDeployments.set_image_digest`` pushes another (a moved tag, or a multi-arch index).

This module deliberately does not use the product's reference parser: the simulation must not share
the bug it is there to catch.
"""

from __future__ import annotations

import hashlib

from moto.ecs.models import EC2ContainerServiceBackend, Task


def registry_digest(image: str) -> str:
    """The digest the simulated registry holds for ``image`` (a tag pushed once)."""
    return "sha256:" + hashlib.sha256(image.encode()).hexdigest()


def resolved(image: str, digest: str) -> str:
    """``image`` as DescribeTasks reports it once ECS resolved it to ``digest``."""
    if "@" in image:
        return image  # written with a digest: nothing to resolve
    return f"{image}@{digest}" if _has_tag(image) else f"{image}:latest@{digest}"


def resolve_images(backend: EC2ContainerServiceBackend, task: Task, digest: str | None = None) -> None:
    """Report each of the task's containers as ECS does once it resolved its own image's tag: DescribeTasks
    gives every container its own ``image`` and ``imageDigest``. ``digest``: the registry's digest for the
    first container's tag (the release's image), where it is not the simulated registry's own."""
    definitions = backend.describe_task_definition(task.task_definition_arn).container_definitions
    by_name = {definition.get("name"): definition for definition in definitions}
    for container in task.containers:
        definition = by_name.get(container.name, definitions[0])
        written = str(definition["image"])
        pinned = written.partition("@")[2]
        release = definition is definitions[0]
        reported_digest = pinned or (digest if release else None) or registry_digest(written)
        # moto's Container has no imageDigest; its responses serialise the attribute when it is set.
        container.image_digest = reported_digest  # type: ignore[attr-defined]
        container.image = resolved(written, reported_digest)


def _has_tag(name: str) -> bool:
    """A tag's colon comes after the last slash (``host:5000/web`` has none)."""
    return name.rfind(":") > name.rfind("/")
