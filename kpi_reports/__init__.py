"""kpi-reports: agent performance KPIs for real-estate teams and referral networks."""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["compute", "history", "month_ends", "monthly_history", "load_workbook", "load_rows", "load_settings",
           "KpiHistory", "KpiResult", "Problem", "TeamData", "MetricDef", "Settings", "UserError", "WorkbookError"]

# Each public name's module, imported on first use: `kpi-reports --help` and the Excel
# add-in's import of one submodule do not pay for pandas and the rest.
_HOMES = {"compute": "engine", "history": "engine", "month_ends": "engine", "monthly_history": "engine",
          "KpiHistory": "engine", "KpiResult": "engine", "UserError": "errors", "WorkbookError": "errors",
          "load_rows": "load", "load_workbook": "load", "Problem": "model", "TeamData": "model",
          "MetricDef": "settings", "Settings": "settings", "load_settings": "settings"}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:
    from .engine import KpiHistory, KpiResult, compute, history, month_ends, monthly_history
    from .errors import UserError, WorkbookError
    from .load import load_rows, load_workbook
    from .model import Problem, TeamData
    from .settings import MetricDef, Settings, load_settings
