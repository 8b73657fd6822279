"""Excel worksheet functions (xlwings UDFs): the metrics of SPEC.md as formulas.

    =KPI_SCHEDULE_RATE(Leads[#All], "A01", DATE(2026,10,31))
    =KPI_PORTAL_UPDATE_RATE(Deals[#All], "A01", TODAY(), DealUpdates[#All])
    =KPI_BENCHMARK("schedule_rate_14d", "top10", Leads[#All], TODAY())
    =KPI_TABLE(Agents[#All], Activity[#All], Leads[#All], Deals[#All], TODAY(), DealUpdates[#All])

Import them with the xlwings add-in's "Import Functions" (UDF Modules:
kpi_reports.excel.udfs). Every number comes from the engine over the ranges passed, typed
by the same loader as the command line. A formula never shows a traceback or a made-up 0:
an undefined rate is the text "#N/A: <why>", bad input "#VALUE!: <what to fix>". Typed
tables and results are cached on the cell values (cache.py), so hundreds of formulas over
one 10,000-row range type it once.

UDF parameters carry no type hints on purpose: xlwings turns hints into converters.
"""
from __future__ import annotations

import datetime as dt
import functools
import inspect
import logging
import math
import os
from collections.abc import Callable

import pandas as pd
import xlwings as xw

from kpi_reports.agent_ids import id_text
from kpi_reports.engine import cohort_ages, rate as engine_rate
from kpi_reports.explain import SHEET_OF_KIND, undefined_reason
from kpi_reports.errors import UserError
from kpi_reports.formatting import UNDEFINED
from kpi_reports.load import parse_days, serial_day
from kpi_reports.settings import MetricDef, Settings, load_settings

from .cache import ResultCache
from .dashboard import metric_grid

CATEGORY = "KPI Reports"
SETTINGS_ENV = "KPI_REPORTS_SETTINGS"     # path of a team settings file for the formulas
# A table argument arrives raw, exactly as COM hands the range over (tuples of cells):
# xlwings' own conversion costs ~40 ms per call on a 10,000-row range, which 300 formulas
# would pay 300 times. The raw rows are typed once, on a cache miss (excel/ranges.py).
TABLE = {"convert": "raw"}

METRIC_FUNCTIONS = {
    "KPI_PORTAL_UPDATE_RATE": "portal_update_rate", "KPI_SCHEDULE_RATE": "schedule_rate_14d",
    "KPI_BUYER_MET_RATE": "buyer_met_rate_28d", "KPI_SELLER_SIGN_RATE": "seller_sign_rate_28d",
    "KPI_OFFERS_SIGN_RATE": "offers_sign_rate_28d", "KPI_CONTACT_RATE": "contact_rate",
    "KPI_APPOINTMENT_RATE": "appointment_rate", "KPI_CONTRACT_RATE": "contract_rate",
}
logger = logging.getLogger(__name__)
cache = ResultCache()


class Undefined(Exception):
    """The value does not exist (no population, inactive agent): shown as "#N/A: why"."""


# ---------------------------------------------------------------- reading arguments

@functools.lru_cache(maxsize=4)
def _settings_file(path: str | None, mtime: float | None) -> Settings:
    return load_settings(path)


def current_settings() -> Settings:
    """Defaults, or the file named by KPI_REPORTS_SETTINGS (re-read when it changes)."""
    path = os.environ.get(SETTINGS_ENV) or None
    mtime = os.path.getmtime(path) if path and os.path.exists(path) else None
    return _settings_file(path, mtime)


def as_day(value: object, what: str = "as_of") -> dt.date:
    """A date cell, an Excel serial (DATE(), TODAY()) or a date text -> date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, float) and value.is_integer() and (day := serial_day(value)) is not None:
        return day
    days, unreadable = parse_days(pd.Series([value], dtype=object))
    if unreadable.iloc[0]:
        raise UserError(f"{what} is not a date: {value!r}. Use a date cell, DATE(2026,10,31) or TODAY().")
    if pd.isna(days.iloc[0]):
        raise UserError(f"{what} is blank. Pass the day to compute as of, e.g. TODAY().")
    return days.iloc[0].date()


def as_agent(value: object) -> str:
    try:
        agent = _agent_text(type(value), value)
    except TypeError:                      # unhashable: not worth remembering
        agent = _agent_text.__wrapped__(type(value), value)
    if agent is None:
        raise UserError("agent_id is blank. Pass an Agent ID such as \"A01\".")
    return agent


@functools.lru_cache(maxsize=4096)
def _agent_text(kind: type, value: object) -> str | None:
    """The loader's reading of one Agent ID cell, remembered per (type, value): 300 formulas
    name 300 agents again on every recalculation. The type is part of the key (TRUE == 1)."""
    return id_text(value)


def as_table(rows: object) -> list[list[object]] | None:
    """A range's rows, or None when the argument is missing or every cell is blank."""
    if rows is None:
        return None
    if not isinstance(rows, (list, tuple)) or (rows and not isinstance(rows[0], (list, tuple))):
        rows = [[rows]]
    if all(c is None or (isinstance(c, str) and not c.strip()) for r in rows for c in r):
        return None
    return rows


def _tables(**given: object) -> dict[str, list[list[object]] | None]:
    names = {"agents": "Agents", "activity": "Activity", "leads": "Leads", "deals": "Deals",
             "deal_updates": "Deal Updates"}
    tables = {names[k]: as_table(v) for k, v in given.items()}
    return {name: rows for name, rows in tables.items() if rows is not None}


# ---------------------------------------------------------------- computing

def metric_value(metric_id: str, tables: dict, agent_id: object, as_of: object) -> float:
    """One agent's value of one metric over the given tables."""
    settings = current_settings()
    metric = settings.metric(metric_id)
    when, agent = as_day(as_of), as_agent(agent_id)
    team, result = cache.lookup(tables, when, settings)
    spelled, found = cache.agent_ids(team).lookup(agent.casefold())      # the loader's ID rule
    if found == "unknown":
        where = "on the Agents table" if "Agents" in tables else f"in the {SHEET_OF_KIND[metric.kind]} table"
        raise Undefined(f"agent {agent!r} is not {where}")
    if found == "inactive":
        raise Undefined(f"agent {spelled!r} is inactive")
    i = result.position(spelled)
    value = result.rate[result.metric_position(metric_id), i]
    if math.isnan(value):
        raise Undefined(undefined_reason(metric, result))
    return float(value)


def benchmark_value(metric_id: str, which: object, tables: dict, as_of: object) -> float:
    settings = current_settings()
    metric = settings.metric(metric_id)
    key = str(which or "").strip().casefold().replace(" ", "").rstrip("%")
    column = {"average": "average", "avg": "average", "mean": "average",
              "top10": "top10", "top": "top10", f"top{settings.top_percent}": "top10"}.get(key)
    if column is None:
        raise UserError(f"which must be \"average\" or \"top10\" (got {which!r}).")
    result = cache.lookup(tables, as_day(as_of), settings)[1]
    value = getattr(result, column)[result.metric_position(metric_id)]
    if math.isnan(value):
        raise Undefined(f"no active agent has a {metric.label} to compare")
    return float(value)


def rate(numerator: object, denominator: object) -> float:
    def number(x: object, what: str) -> float:
        if x is None or (isinstance(x, str) and not x.strip()):
            return 0.0
        try:
            value = float(x)
        except (TypeError, ValueError):
            raise UserError(f"{what} is not a number: {x!r}.") from None
        if value < 0 or math.isnan(value):
            raise UserError(f"{what} must not be negative (got {x!r}).")
        return value

    value = engine_rate(number(numerator, "numerator"), number(denominator, "denominator"))
    if math.isnan(value):
        raise Undefined("the denominator is 0, so the rate is undefined")
    return float(value)


def table(tables: dict, as_of: object) -> list[list[object]]:
    """metric_grid of the Dashboard, with undefined rates shown as "—"."""
    grid = metric_grid(cache.lookup(tables, as_day(as_of), current_settings())[1])
    rate_columns = range(3, len(grid[0]), 3)
    for row in grid[1:]:
        for c in rate_columns:
            if row[c] is None:
                row[c] = UNDEFINED
    return grid


# ---------------------------------------------------------------- declaring the functions

Param = tuple[str, str, dict, object]      # name, help text, xlwings options, default (... = required)
REQUIRED = inspect.Parameter.empty


def _declare(name: str, doc: str, params: list[Param], impl: Callable[..., object]) -> Callable[..., object]:
    """An Excel function `name` calling impl(*args); errors become "#VALUE!"/"#N/A" text."""
    def udf(*args: object) -> object:
        try:
            return impl(*args)
        except Undefined as exc:
            return f"#N/A: {exc}"
        except UserError as exc:
            return f"#VALUE!: {exc}"
        except Exception as exc:  # a formula must show a sentence, never a traceback
            logger.exception("%s failed", name)
            return f"#VALUE!: unexpected {type(exc).__name__}: {exc}"

    udf.__name__ = udf.__qualname__ = name
    udf.__doc__ = doc
    udf.__module__ = __name__
    udf.__signature__ = inspect.Signature([
        inspect.Parameter(p, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default)
        for p, _, _, default in params])
    udf.__annotations__ = {}               # xlwings would read hints as converters
    for p, help_text, options, _ in params:
        udf = xw.arg(p, doc=help_text, **options)(udf)
    return xw.func(category=CATEGORY)(udf)  # last: xlwings' func() resets the category


AS_OF = ("as_of", "The day to compute as of: a date cell, DATE(2026,10,31) or TODAY().", {}, REQUIRED)
AGENT = ("agent_id", "The agent's ID as on the Agents sheet, e.g. \"A01\".", {}, REQUIRED)
AGENTS_OPT = ("agents", "Optional: Agents[#All], so inactive agents and unknown IDs are left out.", TABLE, None)
UPDATES_OPT = ("deal_updates", "Optional: DealUpdates[#All], every update day of every deal.", TABLE, None)


def _table_param(sheet: str, optional: bool = False) -> Param:
    name = sheet.lower().replace(" ", "_")
    return (name, f"The {sheet} table with its header row, e.g. {sheet.replace(' ', '')}[#All].",
            TABLE, None if optional else REQUIRED)


def _describe(metric: MetricDef, settings: Settings) -> str:
    if metric.kind == "cohort":
        youngest, oldest = cohort_ages(metric, settings)
        what = (f"{metric.population} with {metric.event} within {metric.play_out_days} days of Matched, "
                f"of those matched {youngest} to {oldest} days before")
    elif metric.kind == "activity":
        what = f"{metric.numerator} / {metric.denominator} over the {settings.rolling_days} days to the day"
    else:
        what = f"active deals updated in the last {metric.max_age_days} days, of all active deals"
    return f"{metric.label} of one agent as of a day: {what}. #N/A when nothing counts."


def _metric_function(name: str, metric: MetricDef, settings: Settings) -> Callable[..., object]:
    sheet = SHEET_OF_KIND[metric.kind]
    params = [_table_param(sheet), AGENT, AS_OF]
    if metric.kind == "deal_updates":
        params.append(UPDATES_OPT)
        def impl(deals, agent_id, as_of, deal_updates=None, agents=None):
            return metric_value(metric.id, _tables(deals=deals, deal_updates=deal_updates, agents=agents),
                                agent_id, as_of)
    else:
        key = sheet.lower()
        def impl(rows, agent_id, as_of, agents=None):
            return metric_value(metric.id, _tables(**{key: rows}, agents=agents), agent_id, as_of)
    return _declare(name, _describe(metric, settings), [*params, AGENTS_OPT], impl)


def _kpi_metric(metric, rows, agent_id, as_of, deal_updates=None, agents=None):
    definition = current_settings().metric(str(metric).strip())
    key = SHEET_OF_KIND[definition.kind].lower()
    tables = _tables(**{key: rows}, deal_updates=deal_updates, agents=agents)
    return metric_value(definition.id, tables, agent_id, as_of)


def _kpi_benchmark(metric, which, rows, as_of, deal_updates=None, agents=None):
    definition = current_settings().metric(str(metric).strip())
    key = SHEET_OF_KIND[definition.kind].lower()
    return benchmark_value(definition.id, which,
                           _tables(**{key: rows}, deal_updates=deal_updates, agents=agents), as_of)


def _kpi_table(agents, activity, leads, deals, as_of, deal_updates=None):
    return table(_tables(agents=agents, activity=activity, leads=leads, deals=deals,
                         deal_updates=deal_updates), as_of)


METRIC_ID = ("metric", "A metric id, e.g. \"schedule_rate_14d\" (see kpi-reports settings).", {}, REQUIRED)
SOURCE = ("table", "The table the metric counts: Leads[#All], Activity[#All] or Deals[#All].", TABLE, REQUIRED)

_defaults = load_settings()
KPI_PORTAL_UPDATE_RATE, KPI_SCHEDULE_RATE, KPI_BUYER_MET_RATE, KPI_SELLER_SIGN_RATE, \
    KPI_OFFERS_SIGN_RATE, KPI_CONTACT_RATE, KPI_APPOINTMENT_RATE, KPI_CONTRACT_RATE = (
        _metric_function(name, _defaults.metric(mid), _defaults) for name, mid in METRIC_FUNCTIONS.items())

KPI_METRIC = _declare(
    "KPI_METRIC", "Any metric of the settings (a team's own included) for one agent as of a day. "
                  "#N/A when nothing counts.",
    [METRIC_ID, SOURCE, AGENT, AS_OF, UPDATES_OPT, AGENTS_OPT], _kpi_metric)
KPI_BENCHMARK = _declare(
    "KPI_BENCHMARK", "A metric's team benchmark as of a day: \"average\" (mean over agents) or "
                     "\"top10\" (mean of the best 10%). #N/A when no agent has a value.",
    [METRIC_ID, ("which", "\"average\" or \"top10\".", {}, REQUIRED), SOURCE, AS_OF, UPDATES_OPT, AGENTS_OPT],
    _kpi_benchmark)
KPI_RATE = _declare(
    "KPI_RATE", "numerator / denominator as a rate; #N/A (not 0) when the denominator is 0 or blank.",
    [("numerator", "Successes, e.g. contacts.", {}, REQUIRED),
     ("denominator", "Attempts, e.g. calls.", {}, REQUIRED)], rate)
KPI_TABLE = _declare(
    "KPI_TABLE", "Every active agent's metrics (rate, count, of) with the Average and Top 10% rows, "
                 "as one spilled array computed once.",
    [_table_param("Agents"), _table_param("Activity"), _table_param("Leads"), _table_param("Deals"),
     AS_OF, UPDATES_OPT], _kpi_table)

__all__ = ["KPI_METRIC", "KPI_BENCHMARK", "KPI_RATE", "KPI_TABLE", *METRIC_FUNCTIONS]
