"""Actors and the small protocol of the Screenplay pattern.

An actor has abilities (resources it owns and releases in `forget`), performs tasks (business
verbs) and answers questions (nouns). Steps do nothing but hand off to an actor.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Protocol, TypeVar

T = TypeVar("T")
A = TypeVar("A", bound="Ability")


class Ability(Protocol):
    def forget(self) -> None: ...


class Task(Protocol):
    def perform_as(self, actor: Actor) -> None: ...


class Question(Protocol[T]):  # type: ignore[misc]
    def answered_by(self, actor: Actor) -> T: ...


class Actor:
    """A person in a scenario: a customer (Ada) or the merchant."""

    def __init__(self, name: str, *, pronoun: str = "they") -> None:
        self.name = name
        self.pronoun = pronoun
        self._abilities: list[Ability] = []
        self._notes: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"<Actor {self.name}>"

    def who_can(self, *abilities: Ability) -> Actor:
        self._abilities.extend(abilities)
        return self

    def ability_to(self, kind: type[A]) -> A:
        for ability in self._abilities:
            if isinstance(ability, kind):
                return ability
        raise LookupError(f"{self.name} has no ability to {kind.__name__}")

    def can(self, kind: type[Any]) -> bool:
        return any(isinstance(ability, kind) for ability in self._abilities)

    def attempts_to(self, *tasks: Task) -> None:
        for task in tasks:
            task.perform_as(self)

    def asks(self, question: Question[T]) -> T:
        return question.answered_by(self)

    def remember(self, key: str, value: Any) -> None:
        self._notes[key] = value

    def recall(self, key: str, default: Any = ...) -> Any:
        if key in self._notes:
            return self._notes[key]
        if default is not ...:
            return default
        raise LookupError(f"{self.name} has nothing noted as {key!r}; an earlier step should have")

    def forget(self) -> None:
        """Release every ability's resources, even when one of them fails to."""
        abilities, self._abilities = list(reversed(self._abilities)), []
        release_each(abilities, lambda ability: ability.forget())


def release_each(things: Iterable[T], release: Callable[[T], None]) -> None:
    """Release every one of `things`, even when one fails to; then raise the first failure.

    Teardown that stops at the first error leaves the rest open (a browser context left in the
    worker's shared browser, for the rest of its run).
    """
    errors = []
    for thing in things:
        try:
            release(thing)
        except Exception as error:  # keep releasing the others
            errors.append(error)
    if errors:
        raise errors[0]
