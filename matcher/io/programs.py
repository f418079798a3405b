"""Reading program files (TOML) into :class:`~matcher.programs.ProgramFile`."""

from __future__ import annotations

from pathlib import Path

from matcher.analysis.isolation import AnalysisView
from matcher.assignment.programs import ProgramFile
from matcher.config import DATA_CHECK_FIELDS
from matcher.errors import ConfigError
from matcher.io.configs import read_toml, validate_model
from matcher.io.load import file_sha256


def load_program_file(path: str | Path) -> ProgramFile:
    """Parse and validate a program file; data paths become absolute (relative to the file).

    Errors name the file and the key: ``programs.toml: program[1].capacity.default: Input
    should be greater than or equal to 0``; unknown keys list the valid ones.
    """
    path = Path(path)
    data = read_toml(path)
    if "program" in data and isinstance(data["program"], dict):
        data["program"] = [data["program"]]
    parsed = validate_model(ProgramFile, data, path)
    base = path.resolve().parent
    section = parsed.data
    resolved = section.model_copy(
        update={
            "employees": None
            if section.employees is None
            else str((base / section.employees).resolve()),
            "interactions": None
            if section.interactions is None
            else str((base / section.interactions).resolve()),
            "survey": None if section.survey is None else str((base / section.survey).resolve()),
        }
    )
    return parsed.model_copy(update={"data": resolved})


def employees_file(
    parsed: ProgramFile, program_file: str | Path, given: Path | None = None
) -> str | Path:
    """The employees file: ``given`` (``--employees``), else the program file's ``[data]``.

    Raises
    ------
    ConfigError
        When neither names one.
    """
    if given is not None:
        return given
    if parsed.data.employees is None:
        raise ConfigError(
            f"{program_file}: no [data] employees: name the employees file there "
            "(or give --employees)"
        )
    return parsed.data.employees


def validate_program_file(path: str | Path) -> int:
    """Check a program file without loading its data; returns the number of programs."""
    return len(load_program_file(path).program)


def check_saved_analysis(
    view: AnalysisView, directory: str | Path, parsed: ProgramFile, program_file: str | Path
) -> None:
    """A saved analysis (``assign --analysis``) must agree with the program file's
    ``[data] as_of`` and its ``[analysis]`` table, where the file has them.

    The seed is not compared: it only picks the sampled pivots and Louvain's order; nor are
    the data checks' thresholds, which change no flag.
    """
    if parsed.data.as_of is not None and parsed.data.as_of != view.as_of.date():
        raise ConfigError(
            f"{program_file}: [data] as_of is {parsed.data.as_of}, but the analysis in {directory} "
            f"is as of {view.as_of.date()}: run matcher analyze --as-of {parsed.data.as_of}, "
            "or leave out --analysis"
        )
    if parsed.data.survey is not None:
        heard = view.sources.get("survey", "").rpartition(" sha256:")[2]
        if heard != file_sha256(parsed.data.survey):
            raise ConfigError(
                f"{program_file}: [data] survey is {parsed.data.survey}, but the analysis in "
                f"{directory} did not hear that survey: run matcher analyze --survey "
                f"{parsed.data.survey}, or leave out --analysis"
            )
    if "analysis" not in parsed.model_fields_set:
        return
    wanted = parsed.analysis.model_dump(mode="json")
    ignored = {"seed", *DATA_CHECK_FIELDS}
    differ = sorted(k for k in wanted if k not in ignored and wanted[k] != view.config.get(k))
    if differ:
        raise ConfigError(
            f"{program_file}: the [analysis] table differs from the settings of the analysis in "
            f"{directory} ({', '.join(differ)}): run matcher analyze --config {program_file}, "
            "or leave out --analysis"
        )
