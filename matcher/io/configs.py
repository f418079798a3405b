"""Reading TOML configuration files into validated models, with located error messages."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from matcher.config import AnalysisConfig
from matcher.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def read_toml(path: str | Path) -> dict[str, Any]:
    """The tables of a TOML file.

    Raises
    ------
    ConfigError
        Naming the file when it is missing, a folder, unreadable, not UTF-8 text (TOML is
        UTF-8 by definition) or not valid TOML.
    """
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder, expected a TOML file")
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: file not found") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ConfigError(f"{path}: the file is UTF-16 encoded; save it as UTF-8")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}: line {line}: the file is not UTF-8 text (byte {raw[exc.start]:#04x}); "
            "save it as UTF-8"
        ) from exc
    try:
        return tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    except RecursionError as exc:
        raise ConfigError(f"{path}: invalid TOML: arrays or tables nested too deeply") from exc


def render_validation_error(path: str | Path, exc: ValidationError, prefix: str = "") -> str:
    """``file: a.b[1].c: message`` lines, one per pydantic error."""
    lines = []
    for error in exc.errors():
        location = prefix
        for part in error.get("loc", ()):
            location += (
                f"[{part}]" if isinstance(part, int) else (f".{part}" if location else str(part))
            )
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        if error.get("type") == "extra_forbidden":
            message = "unknown key"
        lines.append(f"{path}: {location or '(top level)'}: {message}")
    return "\n".join(lines)


def _model_at(model: type[BaseModel], location: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model that owns the key at ``location`` (for listing its valid keys)."""
    current: Any = model
    for part in location[:-1]:
        if isinstance(part, int):
            continue
        if (
            not (isinstance(current, type) and issubclass(current, BaseModel))
            or part not in current.model_fields
        ):
            return None
        annotation = current.model_fields[part].annotation
        current = _unwrap(annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """``list[X]``, ``X | None`` → ``X`` (the first pydantic model inside)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in getattr(annotation, "__args__", ()):
        found = _unwrap(argument)
        if found is not None:
            return found
    return None


def validate_model(model: type[M], data: Any, path: str | Path, prefix: str = "") -> M:
    """Validate ``data`` as ``model``; unknown keys are errors listing the valid ones."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        message = render_validation_error(path, exc, prefix)
        listed: set[str] = set()
        for error in exc.errors():
            if error.get("type") != "extra_forbidden":
                continue
            owner = _model_at(model, tuple(error.get("loc", ())))
            if owner is not None and owner.__name__ not in listed:
                listed.add(owner.__name__)
                where = (
                    ".".join(str(p) for p in error["loc"][:-1] if not isinstance(p, int))
                    or "the top level"
                )
                message += f"\nvalid keys of {where}: {', '.join(sorted(owner.model_fields))}"
        raise ConfigError(message) from exc


def load_analysis_config(path: str | Path) -> AnalysisConfig:
    """An :class:`AnalysisConfig` from a TOML file: its ``[analysis]`` table, or the whole file."""
    data = read_toml(path)
    if "analysis" in data:
        return validate_model(AnalysisConfig, data["analysis"], path, "analysis")
    return validate_model(AnalysisConfig, data, path)
