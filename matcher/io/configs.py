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
    path = Path(path)
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc


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


def validate_model(model: type[M], data: Any, path: str | Path, prefix: str = "") -> M:
    """Validate ``data`` as ``model``; unknown keys are errors listing the valid ones."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        message = render_validation_error(path, exc, prefix)
        if any(e.get("type") == "extra_forbidden" for e in exc.errors()):
            message += f"\nvalid keys{' of ' + prefix if prefix else ''}: {', '.join(sorted(model.model_fields))}"
        raise ConfigError(message) from exc


def load_analysis_config(path: str | Path) -> AnalysisConfig:
    """An :class:`AnalysisConfig` from a TOML file: its ``[analysis]`` table, or the whole file."""
    data = read_toml(path)
    if "analysis" in data:
        return validate_model(AnalysisConfig, data["analysis"], path, "analysis")
    return validate_model(AnalysisConfig, data, path)
