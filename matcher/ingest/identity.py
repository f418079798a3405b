"""Who is who: source identities resolved to employee ids by e-mail, never guessed.

An address matches an employee when it equals their ``email`` ignoring case, directly or
through an alias. Aliases come from a small file with an ``alias`` column and either an
``email`` column (another address of the same person, or ``@old.example`` → ``@example.com``
for a whole domain) or an ``id`` column (an employee id, e.g. for a Slack user id whose
profile shows no address). Everything else is unresolved: counted and listed, never matched
by name or by a similar address.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from matcher.errors import DataError, Problem, ProblemCollector
from matcher.ingest.records import Person
from matcher.io.load import load_employees
from matcher.io.tables import read_table
from matcher.model import Employee

NO_EMAIL = "no e-mail address in the export"
NOT_AN_EMPLOYEE = "e-mail address not in the employees file"


def normalise_email(value: str) -> str:
    """Lower-case and strip an address; drop a ``mailto:`` prefix.

    >>> normalise_email("  MAILTO:Ada.Lovelace@Example.COM ")
    'ada.lovelace@example.com'
    """
    text = value.strip()
    if text[:7].lower() == "mailto:":
        text = text[7:]
    return text.strip().lower()


@dataclass(frozen=True, slots=True)
class Resolution:
    """The outcome of resolving one :class:`Person`.

    ``id`` is set when the person is a usable employee. Otherwise ``drop`` says why the rows
    naming them are dropped: ``"bot"`` / ``"deleted user"`` (what the source says),
    ``"opted out"`` (counted only) or ``"unresolved"`` (counted and listed, with ``reason``).
    """

    id: str | None
    drop: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Aliases:
    """Alternative addresses and ids: ``by_key`` maps an alias to an employee id directly,
    ``emails`` maps an address to another, ``domains`` ``@old`` to ``@new``."""

    by_key: dict[str, str]
    emails: dict[str, str]
    domains: dict[str, str]

    @staticmethod
    def none() -> Aliases:
        return Aliases({}, {}, {})


def load_aliases(path: str | Path, employee_ids: Iterable[str]) -> Aliases:
    """Read an aliases file (CSV, JSON, XLSX …) with ``alias`` and ``email`` or ``id``.

    Raises
    ------
    DataError
        Naming file, row and column for a blank alias, a row with both or neither target, an
        id that is not an employee, or an alias listed twice.
    """
    table, rows = read_table(path, ("alias",))
    file = str(path)
    names = set(table.column_names)
    if not names & {"email", "id"}:
        raise DataError(
            [Problem(file, 1, None, "expected a column 'email' or 'id' beside 'alias'")]
        )
    known = set(employee_ids)
    problems = ProblemCollector()
    by_key: dict[str, str] = {}
    emails: dict[str, str] = {}
    domains: dict[str, str] = {}
    first_seen: dict[str, int] = {}
    for number, row in zip(rows.tolist(), table.to_pylist(), strict=True):
        alias = normalise_email(row.get("alias") or "")
        email = normalise_email(row.get("email") or "")
        identity = (row.get("id") or "").strip()
        if not alias and not email and not identity:
            continue
        if not alias:
            problems.add(file, number, "alias", "missing alias")
            continue
        if alias in first_seen:
            problems.add(
                file,
                number,
                "alias",
                f"alias {alias!r} is listed twice (first on row {first_seen[alias]})",
            )
            continue
        first_seen[alias] = number
        if bool(email) == bool(identity):
            problems.add(
                file,
                number,
                None,
                "give either an e-mail address or an employee id, not both or neither",
            )
        elif identity:
            if identity not in known:
                problems.add(file, number, "id", f"{identity!r} is not an employee id")
            by_key[alias] = identity
        elif alias.startswith("@"):
            if not email.startswith("@"):
                problems.add(
                    file,
                    number,
                    "email",
                    f"a domain alias maps to a domain such as '@example.com', found {email!r}",
                )
            domains[alias] = email
        else:
            emails[alias] = email
    problems.raise_if_any()
    return Aliases(by_key, emails, domains)


class Directory:
    """Resolve :class:`Person` objects to employee ids by e-mail (case-insensitive) and aliases.

    >>> people = [Employee(id="E1", email="Ada@Example.com"), Employee(id="E2", email="bob@example.com", opt_out=True)]
    >>> d = Directory(people, Aliases({}, {}, {"@old.example": "@example.com"}), "employees.csv")
    >>> d.resolve(Person("ada@old.example", "ada@old.example")).id
    'E1'
    >>> d.resolve(Person("bob@example.com", "bob@example.com")).drop
    'opted out'
    >>> d.resolve(Person("U9", None)).reason
    'no e-mail address in the export'
    """

    def __init__(self, employees: list[Employee], aliases: Aliases, file: str) -> None:
        self.by_email: dict[str, str] = {}
        self.opted_out = frozenset(e.id for e in employees if e.opt_out)
        problems = ProblemCollector()
        for person in employees:
            if not person.email:
                continue
            address = normalise_email(person.email)
            other = self.by_email.get(address)
            if other is not None and other != person.id:
                problems.add(
                    file,
                    None,
                    "email",
                    f"e-mail address {address!r} belongs to both {other} and {person.id}",
                )
            self.by_email[address] = person.id
        if not self.by_email and not problems:
            problems.add(
                file,
                None,
                "email",
                "no employee has an e-mail address: ingest matches people across sources by e-mail",
            )
        problems.raise_if_any()
        self.aliases = aliases
        self._cache: dict[Person, Resolution] = {}

    def resolve(self, person: Person) -> Resolution:
        """The employee ``person`` is, or why the rows naming them are dropped."""
        cached = self._cache.get(person)
        if cached is None:
            cached = self._cache[person] = self._resolve(person)
        return cached

    def _resolve(self, person: Person) -> Resolution:
        if person.excluded is not None:
            return Resolution(None, person.excluded)
        aliases = self.aliases
        identity = aliases.by_key.get(person.key.strip().lower())
        if identity is None and person.email:
            address = normalise_email(person.email)
            identity = aliases.by_key.get(address)
            if identity is None:
                address = aliases.emails.get(address, address)
                identity = self.by_email.get(address)
                if identity is None and "@" in address:
                    local, _, domain = address.rpartition("@")
                    other = aliases.domains.get("@" + domain)
                    if other is not None:
                        address = local + other
                        identity = self.by_email.get(aliases.emails.get(address, address))
        if identity is None:
            return Resolution(None, "unresolved", NOT_AN_EMPLOYEE if person.email else NO_EMAIL)
        if identity in self.opted_out:
            return Resolution(identity, "opted out")
        return Resolution(identity)


def load_directory(employees: str | Path, aliases: str | Path | None) -> Directory:
    """Load the employees file (validated as ``matcher analyze`` does) and the aliases file."""
    people = load_employees(employees)
    ids = [p.id for p in people]
    alias_table = load_aliases(aliases, ids) if aliases is not None else Aliases.none()
    return Directory(people, alias_table, str(employees))
