"""How the simulator changes moto: every change is a ``Patch`` value, declared beside the behaviour it adds
(each service's ``PATCHES``), and only ``simulator.moto_patches.patched_moto`` installs them, in one
place, and removes them when the simulation ends. Nothing is changed at import, and nothing stays behind.

- ``Replace``: moto's attribute replaced by the simulator's (which may call moto's own, captured at import).
- ``Wrap``: moto's attribute (or a patch installed before this one) wrapped: the wrapper receives what it
  wraps, so two patches of one method compose in the order the registry lists them.
- ``StateTransition``: moto's state manager set for a model (e.g. ECS tasks advance only when the
  simulated scheduler moves them), and unset afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from moto.moto_api import state_manager

_MISSING = object()

Undo = Callable[[], None]


class Patch(Protocol):
    def install(self) -> Undo:
        """Make the change; return what puts back exactly what was there."""
        ...


def _set(owner: object, name: str, value: Any) -> Undo:
    # ``vars`` rather than ``getattr``: an attribute the class inherits (or lacks: moto leaves some actions
    # unimplemented) is removed again on undo, not copied onto the subclass.
    previous = vars(owner).get(name, _MISSING)
    setattr(owner, name, value)

    def undo() -> None:
        if previous is _MISSING:
            delattr(owner, name)
        else:
            setattr(owner, name, previous)

    return undo


@dataclass(frozen=True)
class Replace:
    owner: object
    name: str
    replacement: Any

    def install(self) -> Undo:
        return _set(self.owner, self.name, self.replacement)


@dataclass(frozen=True)
class Wrap:
    owner: object
    name: str
    wrapper: Callable[[Any], Any]  # given what is installed now, returns what replaces it

    def install(self) -> Undo:
        return _set(self.owner, self.name, self.wrapper(getattr(self.owner, self.name)))


@dataclass(frozen=True)
class StateTransition:
    model_name: str
    transition: dict[str, Any]

    def install(self) -> Undo:
        state_manager.set_transition(model_name=self.model_name, transition=self.transition)
        return lambda: state_manager.unset_transition(model_name=self.model_name)
