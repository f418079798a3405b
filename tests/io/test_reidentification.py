"""A re-identification audit of ``--pseudonymize``: analyze, assign and history on a generated
org, then everything they wrote or printed is searched for what names a person.

* no employee id, name or e-mail in any output, stdout or stderr (names only in ``pairs.csv``
  when ``--with-names`` was asked, and then with a warning);
* the quasi-identifiers kept in ``analysis.csv`` (team, tenure band) are k-anonymous (k = 5);
* no suppressed team figure can be recovered by subtracting published ones from a total.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from matcher.cli import main
from matcher.privacy import (
    TextScrubber,
    complementary_suppression,
    k_anonymous_cells,
    tenure_band,
)
from tests.paths import SCENARIOS

KEY = "a pseudonym key of more than sixteen bytes"
ENV = {"MATCHER_PSEUDONYM_KEY": KEY}
K = 5
TOKEN = re.compile(r"\w+")


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    out: Path | None = None

    def text(self) -> str:
        """Everything the command printed and wrote (binary ties.npz aside)."""
        files = []
        if self.out is not None and self.out.is_dir():
            files = [
                workbook_text(p) if p.suffix == ".xlsx" else p.read_text(encoding="utf-8")
                for p in sorted(self.out.iterdir())
                if p.suffix != ".npz"
            ]
        elif self.out is not None and self.out.is_file():
            files = [self.out.read_text(encoding="utf-8")]
        return "\n".join([self.stdout, self.stderr, *files])


def workbook_text(path: Path) -> str:
    """Every cell of a workbook (review.xlsx), as text."""
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True)
    return "\n".join(
        " ".join("" if v is None else str(v) for v in row)
        for sheet in workbook
        for row in sheet.iter_rows(values_only=True)
    )


def invoke(*args: str, out: Path | None = None) -> Run:
    result = CliRunner().invoke(main, list(args), env=ENV)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Run(result.exit_code, result.stdout, result.stderr, out)


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("org")
    assert invoke("generate", "--employees", "600", "--seed", "4", "--out", str(folder)).code == 0
    return folder


@pytest.fixture(scope="module")
def people(org: Path) -> list[dict[str, str]]:
    return rows(org / "employees.csv")


@pytest.fixture(scope="module")
def analysis(org: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    out = tmp_path_factory.mktemp("analysis")
    run = invoke(
        "analyze",
        "--employees",
        str(org / "employees.csv"),
        "--interactions",
        str(org / "interactions.csv"),
        "--out",
        str(out),
        "--pseudonymize",
        "--json",
        out=out,
    )
    assert run.code == 0, run.stderr
    return run


def program_file(org: Path, folder: Path) -> Path:
    """Mentoring as in scenarios/, but with a minimum load no mentor can take: infeasible, with
    conflict messages naming providers, and every seeker in unmatched.csv with that reason."""
    text = (SCENARIOS / "mentoring.toml").read_text(encoding="utf-8")
    text = text.replace("../demo-out/org/", f"{org.as_posix()}/")
    text = text.replace('column = "mentor_capacity", min = 0', "min = 3")
    buddy = (SCENARIOS / "buddy.toml").read_text(encoding="utf-8")
    text += "\n" + buddy[buddy.index("[[program]]") :]
    path = folder / "programs.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def assigned(org: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Path]:
    folder = tmp_path_factory.mktemp("assign")
    out, db = folder / "out", folder / "matcher.db"
    run = invoke(
        "assign",
        str(program_file(org, folder)),
        "--out",
        str(out),
        "--db",
        str(db),
        "--pseudonymize",
        "--json",
        out=out,
    )
    assert run.code == 0, run.stderr
    return run, db


def leaked_ids(text: str, people: list[dict[str, str]]) -> set[str]:
    return set(TOKEN.findall(text)) & {p["id"] for p in people}


def leaked_names(text: str, people: list[dict[str, str]]) -> set[str]:
    lowered = text.lower()
    return {
        value
        for p in people
        for value in (p["name"], p["email"])
        if value and value.lower() in lowered
    }


# --------------------------------------------------------------------------- no ids, names


def test_analyze_outputs_name_nobody(analysis: Run, people: list[dict[str, str]]) -> None:
    text = analysis.text()
    assert leaked_ids(text, people) == set()
    assert leaked_names(text, people) == set()
    assert KEY not in text


def test_assign_conflicts_are_pseudonymised_everywhere(
    assigned: tuple[Run, Path], people: list[dict[str, str]]
) -> None:
    run, _ = assigned
    summary = json.loads((run.out or Path()).joinpath("summary.json").read_text())
    conflicts = summary["programs"]["mentoring-2026q4"]["conflicts"]
    assert conflicts and any("p_" in c for c in conflicts)  # the leak this guards against
    unmatched = rows((run.out or Path()) / "unmatched.csv")
    assert any(r["reason"].startswith("program infeasible") for r in unmatched)
    assert json.loads(run.stdout)["programs"]["mentoring-2026q4"]["conflicts"] == conflicts
    assert "conflict: capacity.min" in run.stderr
    text = run.text()
    assert leaked_ids(text, people) == set()
    assert leaked_names(text, people) == set()


def test_assign_text_names_no_team(
    assigned: tuple[Run, Path], people: list[dict[str, str]]
) -> None:
    """A pseudonym with a team beside it (an unmatched reason) joins analysis.csv's rows."""
    run, _ = assigned
    units = {p[c] for p in people for c in ("team", "department") if p[c]}
    reasons = " ".join(r["reason"] for r in rows((run.out or Path()) / "unmatched.csv"))
    assert not [u for u in units if re.search(rf"(?<!\w){re.escape(u)}(?!\w)", reasons)]


def test_history_show_and_export_pseudonymise(
    assigned: tuple[Run, Path], people: list[dict[str, str]], tmp_path: Path
) -> None:
    _, db = assigned
    run_id = "onboarding-2026q4@2026Q4#1"
    plain = invoke("history", "show", run_id, "--db", str(db))
    assert plain.code == 0 and leaked_ids(plain.text(), people)  # HR's store keeps real ids
    shown = invoke("history", "show", run_id, "--db", str(db), "--pseudonymize")
    as_json = invoke("history", "show", run_id, "--db", str(db), "--pseudonymize", "--json")
    export = tmp_path / "pairs.csv"
    exported = invoke(
        "history",
        "export",
        "--run",
        run_id,
        "--out",
        str(export),
        "--db",
        str(db),
        "--pseudonymize",
        out=export,
    )
    assert (shown.code, as_json.code, exported.code) == (0, 0, 0)
    assert " <- p_" in shown.stdout and json.loads(as_json.stdout)["pairs"]
    assert all(r["seeker_id"].startswith("p_") for r in rows(export))
    for run in (shown, as_json, exported):
        assert leaked_ids(run.text(), people) == set()
    for command in ("show", "export"):
        help_text = invoke("history", command, "--help").stdout
        assert "--pseudonymize" in help_text and "HR's own store" in help_text


def test_with_names_warns_and_names_only_pairs(
    org: Path, people: list[dict[str, str]], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    run = invoke(
        "assign",
        str(SCENARIOS / "buddy.toml"),
        "--employees",
        str(org / "employees.csv"),
        "--interactions",
        str(org / "interactions.csv"),
        "--out",
        str(out),
        "--db",
        str(tmp_path / "db"),
        "--pseudonymize",
        "--with-names",
        "--quiet",
        out=out,
    )
    assert run.code == 0
    assert "warning: --with-names" in run.stderr and "pseudonyms" in run.stderr
    notes = json.loads((out / "summary.json").read_text())["notes"]
    assert any("--with-names" in note for note in notes)
    assert leaked_names((out / "pairs.csv").read_text(), people)  # asked for explicitly
    others = "\n".join(
        workbook_text(p) if p.suffix == ".xlsx" else p.read_text()
        for p in out.iterdir()
        if p.name != "pairs.csv"
    )
    assert leaked_names(others, people) == set()
    assert leaked_ids(run.text(), people) == set()


# --------------------------------------------------------------------------- k-anonymity


def test_analysis_csv_is_k_anonymous_on_its_quasi_identifiers(
    analysis: Run, people: list[dict[str, str]]
) -> None:
    out = analysis.out or Path()
    table = rows(out / "analysis.csv")
    assert len(table) == json.loads(analysis.stdout)["employees"]
    assert {"department", "location", "hire_date", "level"}.isdisjoint(table[0])
    assert all(r["tenure_days"] == "" for r in table)  # exact tenure is out
    classes = Counter((r["team"], r["tenure_band"]) for r in table)
    flagged = [r for r in table if {"isolated", "peripheral"} & set(r["flags"].split(";"))]
    assert flagged
    assert min(classes[(r["team"], r["tenure_band"])] for r in flagged) >= K
    assert min(classes.values()) >= K
    assert [r["id"] for r in table] == sorted(r["id"] for r in table)  # not in file order
    hire_dates = {p["hire_date"] for p in people if p["hire_date"]}
    assert not {d for d in hire_dates if d in (out / "analysis.csv").read_text()}
    units = {p["team"] for p in people if p["team"]}
    reasons = " ".join(r["reasons"] for r in table)
    assert not [u for u in units if re.search(rf"(?<!\w){re.escape(u)}(?!\w)", reasons)]


def test_before_this_fix_team_and_tenure_singled_people_out(
    org: Path, people: list[dict[str, str]], tmp_path: Path
) -> None:
    """Without --pseudonymize the file is HR's own and keeps both: the audit's finding."""
    run = invoke(
        "analyze",
        "--employees",
        str(org / "employees.csv"),
        "--interactions",
        str(org / "interactions.csv"),
        "--out",
        str(tmp_path),
    )
    table = rows(tmp_path / "analysis.csv")
    assert run.code == 0 and table[0]["tenure_days"]
    pairs = Counter((r["team"], r["tenure_days"]) for r in table)
    assert sum(1 for r in table if pairs[(r["team"], r["tenure_days"])] == 1) > len(table) / 2


# --------------------------------------------------------------------------- differencing


def hidden_cells_recoverable(sizes: list[int], hidden: list[bool], k: int = K) -> bool:
    """One published total and its published cells give the sum of the hidden cells: a cell
    comes back when it is hidden alone, or the hidden cells together hold fewer than k people."""
    count = sum(hidden)
    people = sum(size for size, h in zip(sizes, hidden, strict=True) if h)
    return count == 1 or 0 < people < k


def test_teams_csv_resists_differencing(analysis: Run) -> None:
    out = analysis.out or Path()
    teams = rows(out / "teams.csv")
    summary = json.loads((out / "summary.json").read_text())
    sizes = [int(t["size"]) for t in teams]
    hidden = [t["suppressed"] == "true" for t in teams]
    assert any(s < K for s in sizes) and all(h for s, h in zip(sizes, hidden, strict=True) if s < K)
    assert not hidden_cells_recoverable(sizes, hidden)
    for column, flag in (("isolated_members", "isolated"), ("peripheral_members", "peripheral")):
        published = sum(int(t[column]) for t in teams if t["suppressed"] == "false")
        assert published <= summary["flags"][flag]
        assert all(t[column] == "" for t in teams if t["suppressed"] == "true")
    # analysis.csv names no suppressed team, and agrees with teams.csv on the others
    table = rows(out / "analysis.csv")
    named = Counter(r["team"] for r in table)
    assert not {t["team"] for t in teams if t["suppressed"] == "true"} & set(named)
    isolated = Counter(r["team"] for r in table if "isolated" in r["flags"].split(";"))
    for t in teams:
        if t["suppressed"] == "false" and t["team"] != "(no team)":
            assert named[t["team"]] == int(t["size"])
            assert isolated[t["team"]] == int(t["isolated_members"])


@given(st.lists(st.integers(1, 30), max_size=12), st.integers(1, 8))
def test_complementary_suppression_leaves_nothing_to_subtract(sizes: list[int], k: int) -> None:
    hidden = complementary_suppression(sizes, k)
    assert all(h for size, h in zip(sizes, hidden, strict=True) if size < k)
    if not all(hidden):
        assert not hidden_cells_recoverable(sizes, hidden, k)


@given(
    st.lists(
        st.tuples(st.sampled_from("ABCDE"), st.sampled_from(["new", "mid", "old", "unknown"])),
        max_size=60,
    ),
    st.sets(st.sampled_from("ABCDE")),
)
def test_k_anonymous_cells_every_published_class_has_k_rows(
    quasi: list[tuple[str, str]], withheld: set[str]
) -> None:
    teams, bands, keep = k_anonymous_cells(
        [t for t, _ in quasi], [b for _, b in quasi], withheld, K
    )
    classes = Counter(zip(teams, bands, strict=True))
    assert all(
        classes[key] >= K
        for key, kept in zip(zip(teams, bands, strict=True), keep, strict=True)
        if kept
    )
    assert not set(teams) & withheld
    for (team, band), kept, cell, band_cell in zip(quasi, keep, teams, bands, strict=True):
        assert cell in (team, "") and band_cell in (band, "")
        if kept and team not in withheld and sum(t == team for t, _ in quasi) >= K:
            assert cell == team  # a published team keeps all its rows: counts agree


def test_scrubber_replaces_whole_ids_longest_first() -> None:
    scrub = TextScrubber(["E1", "E12", "a.b"], lambda i: f"<{i}>", withheld=["Ops 1"])
    assert scrub("E12 E1, E123 xE1 E1x (a.b) Ops 1 Ops 10") == (
        "<E12> <E1>, E123 xE1 E1x (<a.b>) (withheld) Ops 10"
    )
    assert scrub.deep({"k": ["E1", 2, {"E12": "E12"}]}) == {"k": ["<E1>", 2, {"E12": "<E12>"}]}


def test_tenure_bands() -> None:
    assert [tenure_band(d) for d in (0, 89, 90, 364, 365, 1094, 1095, None)] == [
        "under 3 months",
        "under 3 months",
        "3 months to 1 year",
        "3 months to 1 year",
        "1 to 3 years",
        "1 to 3 years",
        "3 years or more",
        "unknown",
    ]


def test_a_single_small_team_is_not_recoverable_from_org_totals(
    org: Path, people: list[dict[str, str]], tmp_path: Path
) -> None:
    """The audit's case: one team under 5 people, every other team published. Before,
    ``summary.flags.isolated`` minus the published ``isolated_members`` was that team's count."""
    sizes = Counter(p["team"] for p in people)
    small = sorted(t for t, n in sizes.items() if n < K)
    largest = max(sizes, key=lambda t: (sizes[t], t))
    merged = [{**p, "team": largest if p["team"] in small[1:] else p["team"]} for p in people]
    employees = tmp_path / "employees.csv"
    with employees.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(people[0]))
        writer.writeheader()
        writer.writerows(merged)
    out = tmp_path / "out"
    run = invoke(
        "analyze",
        "--employees",
        str(employees),
        "--interactions",
        str(org / "interactions.csv"),
        "--out",
        str(out),
        "--pseudonymize",
    )
    assert run.code == 0, run.stderr
    teams = rows(out / "teams.csv")
    sizes_now = [int(t["size"]) for t in teams]
    hidden = [t["suppressed"] == "true" for t in teams]
    assert sum(1 for s in sizes_now if s < K) == 1  # exactly one primary suppression
    assert sum(hidden) >= 2  # and a complementary one
    assert not hidden_cells_recoverable(sizes_now, hidden)
    complementary = [t for t in teams if t["suppressed"] == "true" and int(t["size"]) >= K]
    assert complementary and "org totals" in complementary[0]["reasons"]
    table = rows(out / "analysis.csv")
    assert not {t["team"] for t in complementary} & {r["team"] for r in table}
