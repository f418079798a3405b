"""Reading program files (TOML) into :class:`~matcher.programs.ProgramFile`."""

from __future__ import annotations

from pathlib import Path

from matcher.io.configs import read_toml, validate_model
from matcher.programs import ProgramFile


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
            "employees": str((base / section.employees).resolve()),
            "interactions": None
            if section.interactions is None
            else str((base / section.interactions).resolve()),
        }
    )
    return parsed.model_copy(update={"data": resolved})


def validate_program_file(path: str | Path) -> int:
    """Check a program file without loading its data; returns the number of programs."""
    return len(load_program_file(path).program)
