"""Image references parsed as Docker and ECS read them, and matched as ECS reports a running container."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleetops.errors import BadInputError
from fleetops.models.ecs import TaskContainer
from fleetops.models.image import ImageReference, ImageReferenceError, parse_image_reference
from fleetops.verify.image_match import parse_expected_image

A = "sha256:" + "a" * 64
B = "sha256:" + "b" * 64


def container(image: str, digest: str = "") -> TaskContainer:
    return TaskContainer("web", image, digest, "HEALTHY", "RUNNING")


# -- the parser ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nginx", ImageReference("docker.io", "library/nginx", "latest", None)),
        ("nginx:1.27", ImageReference("docker.io", "library/nginx", "1.27", None)),
        ("amazon/amazon-ecs-agent", ImageReference("docker.io", "amazon/amazon-ecs-agent", "latest", None)),
        ("docker.io/nginx", ImageReference("docker.io", "library/nginx", "latest", None)),
        ("index.docker.io/library/nginx:1", ImageReference("docker.io", "library/nginx", "1", None)),
        ("registry.example.com/web:2", ImageReference("registry.example.com", "web", "2", None)),
        ("Registry.Example.COM/web:2", ImageReference("registry.example.com", "web", "2", None)),
        ("registry.example.com:5000/team/web:2", ImageReference("registry.example.com:5000", "team/web", "2", None)),
        ("localhost:5000/web", ImageReference("localhost:5000", "web", "latest", None)),
        ("localhost/web:v2", ImageReference("localhost", "web", "v2", None)),
        ("10.0.0.5:5000/web:2", ImageReference("10.0.0.5:5000", "web", "2", None)),
        ("quay.io/assemblyline/ubuntu", ImageReference("quay.io", "assemblyline/ubuntu", "latest", None)),
        (f"registry.example.com/web:2@{A}", ImageReference("registry.example.com", "web", "2", A)),
        (f"registry.example.com/web@{A}", ImageReference("registry.example.com", "web", None, A)),
        (f"registry.example.com:5000/web@{A.upper().replace('SHA256', 'sha256')}", None),
        (
            f"123456789012.dkr.ecr.us-east-1.amazonaws.com/web:2@{A}",
            ImageReference("123456789012.dkr.ecr.us-east-1.amazonaws.com", "web", "2", A),
        ),
    ],
)
def test_a_reference_is_parsed_into_registry_repository_tag_and_digest(
    text: str, expected: ImageReference | None
) -> None:
    parsed = parse_image_reference(text)
    if expected is None:  # upper-case hex: accepted by ECS, kept in lower case
        assert parsed == ImageReference("registry.example.com:5000", "web", None, A)
    else:
        assert parsed == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        (" registry.example.com/web:2", "white space"),
        ("registry.example.com/Web:2", "not a repository name"),
        ("registry.example.com/web:", "not a tag"),
        ("registry.example.com/web:-2", "not a tag"),
        ("registry.example.com/web:" + "2" * 129, "not a tag"),
        ("registry.example.com/web@sha256:abc", "not an image digest"),
        ("registry.example.com/web@md5:" + "a" * 32, "not an image digest"),
        ("registry.example.com/web:2@", "not an image digest"),
        ("-registry.example.com/web", "not a registry host"),
        ("registry.example.com//web", "not a repository name"),
        ("registry.example.com/web/", "not a repository name"),
        ("a" * 64, "image ID"),
        ("registry.example.com/" + "w" * 255, "at most 255"),
        ("https://registry.example.com/web:2", "not a registry host"),
    ],
)
def test_a_malformed_reference_is_refused_with_what_is_wrong(text: str, reason: str) -> None:
    with pytest.raises(ImageReferenceError, match=reason):
        parse_image_reference(text)


_hosts = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?){1,3}", fullmatch=True)
_ports = st.none() | st.integers(1, 65535)
_path_component = r"[a-z0-9]{1,8}([._-][a-z0-9]{1,8})?"
_repositories = st.from_regex(rf"{_path_component}(/{_path_component}){{0,2}}", fullmatch=True)
_tags = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True)
_digests = st.from_regex(r"sha256:[a-f0-9]{64}", fullmatch=True)


@st.composite
def _references(draw: st.DrawFn) -> tuple[str, str, str | None, str | None]:
    """(registry as written, repository, tag, digest) of a reference on a private registry."""
    host = draw(_hosts)
    port = draw(_ports)
    registry = host if port is None else f"{host}:{port}"
    return registry, draw(_repositories), draw(st.none() | _tags), draw(st.none() | _digests)


def _text(registry: str, repository: str, tag: str | None, digest: str | None) -> str:
    return f"{registry}/{repository}" + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")


@given(reference=_references(), shout=st.booleans())
def test_any_reference_parses_to_its_parts_and_prints_back_to_itself(
    reference: tuple[str, str, str | None, str | None], shout: bool
) -> None:
    registry, repository, tag, digest = reference
    parsed = parse_image_reference(_text(registry.upper() if shout else registry, repository, tag, digest))
    default_tag = "latest" if tag is None and digest is None else tag
    assert parsed == ImageReference(registry, repository, default_tag, digest)
    assert parse_image_reference(str(parsed)) == parsed


# -- matching a running container ----------------------------------------------------------------


def test_an_expected_tag_matches_the_tag_as_written_and_as_ecs_reports_it_resolved() -> None:
    expected = parse_expected_image("registry.example.com/web:2")
    assert expected.runs_in(container("registry.example.com/web:2"))
    assert expected.runs_in(container(f"registry.example.com/web:2@{A}", A))
    assert expected.runs_in(container(f"REGISTRY.example.com/web:2@{A}", A))
    assert not expected.runs_in(container(f"registry.example.com/web:3@{A}", A))
    assert not expected.runs_in(container(f"registry.example.com/api:2@{A}", A))
    assert not expected.runs_in(container(f"other.example.com/web:2@{A}", A))
    # Reported by digest alone (ECS, July to September 2024): the tag cannot be told, so no match.
    assert not expected.runs_in(container(f"registry.example.com/web@{A}", A))


def test_an_expected_image_without_tag_means_latest_as_docker_pulls_it() -> None:
    expected = parse_expected_image("nginx")
    assert expected.runs_in(container(f"docker.io/library/nginx:latest@{A}", A))
    assert expected.runs_in(container("nginx"))
    assert not expected.runs_in(container("nginx:1.27"))


def test_a_port_is_part_of_the_registry_not_a_tag() -> None:
    expected = parse_expected_image("registry.example.com:5000/web:2")
    assert expected.runs_in(container(f"registry.example.com:5000/web:2@{A}", A))
    assert not expected.runs_in(container(f"registry.example.com/web:2@{A}", A))
    latest = parse_expected_image("registry.example.com:5000/web")
    assert not latest.runs_in(container("registry.example.com:5000/web:2"))


def test_an_expected_digest_matches_the_reported_digest_or_image_digest_whatever_the_repository() -> None:
    for text in (f"registry.example.com/web@{A}", f"registry.example.com/web:2@{A}", A):
        expected = parse_expected_image(text)
        assert expected.runs_in(container(f"registry.example.com/web:2@{A}", A))
        assert expected.runs_in(container("registry.example.com/web:2", A))  # the digest in imageDigest only
        assert expected.runs_in(container(f"mirror.example.com/web@{A}"))  # the digest in the image only
        assert not expected.runs_in(container(f"registry.example.com/web:2@{B}", B))
        assert not expected.runs_in(container("registry.example.com/web:2"))  # no digest reported at all


def test_an_unreadable_running_image_matches_no_tag_but_its_image_digest_still_counts() -> None:
    assert not parse_expected_image("registry.example.com/web:2").runs_in(container("", A))
    assert parse_expected_image(A).runs_in(container("not a reference", A))


@pytest.mark.parametrize(
    "text", ["registry.example.com/Web:2", "web:", "sha256:abc", "registry.example.com/web@sha256:" + "g" * 64]
)
def test_a_malformed_expected_image_is_bad_input_never_a_mismatch(text: str) -> None:
    with pytest.raises(BadInputError, match="expected_image must be an image reference"):
        parse_expected_image(text)


@given(reference=_references(), digest=_digests)
def test_an_expected_tag_matches_every_form_ecs_reports_it_in(
    reference: tuple[str, str, str | None, str | None], digest: str
) -> None:
    registry, repository, tag, _ = reference
    tag = tag or "latest"
    expected = parse_expected_image(_text(registry, repository, tag, None))
    assert expected.runs_in(container(_text(registry, repository, tag, None)))
    assert expected.runs_in(container(_text(registry.upper(), repository, tag, digest), digest))
    assert not expected.runs_in(container(_text(registry, repository, tag + "x", digest), digest))


@given(reference=_references(), expected_digest=_digests, running_digest=_digests)
def test_an_expected_digest_matches_exactly_when_a_reported_digest_is_it(
    reference: tuple[str, str, str | None, str | None], expected_digest: str, running_digest: str
) -> None:
    registry, repository, tag, _ = reference
    expected = parse_expected_image(_text(registry, repository, tag, expected_digest))
    running = container(_text(registry, repository, tag or "latest", running_digest), running_digest)
    assert expected.runs_in(running) == (expected_digest == running_digest)
