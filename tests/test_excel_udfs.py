"""Excel formulas: the UDFs run through xlwings' own Windows UDF code, checked against the engine.

Excel is not here, so only what needs Windows is stood in: the pywin32 modules and the
ctypes DLL handles that xlwings._xlwindows touches when imported. xlwings' real decorators
(xlwings.udfs.xlfunc/xlarg, which `xw.func`/`xw.arg` are on Windows), its real call_udf
(argument conversion with the declared options, result conversion) and its real
import_udfs (the VBA module and MacroOptions Excel receives) run unchanged.
"""
from __future__ import annotations

import ctypes
import datetime as dt
import importlib
import sys
import types

import pandas as pd
import pytest
import xlwings

from kpi_reports import compute, load_workbook
from kpi_reports.excel.ranges import frame_rows
from kpi_reports.sample import network_tables, sample_tables

AS_OF = dt.date(2026, 10, 31)
SERIAL = 46326.0                     # =DATE(2026,10,31) arrives as this double
MISSING = -2147352572                # what COM passes for an omitted optional argument
MODULE = "kpi_reports.excel.udfs"


class _Anything:
    """A stand-in for any pywin32/DLL object: every attribute and call gives another one."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Anything(f"{self._name}.{name}")

    def __call__(self, *args, **kwargs):
        return _Anything(f"{self._name}()")

    def __getitem__(self, key):
        return _Anything(f"{self._name}[]")


class _StandInModule(types.ModuleType):
    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Anything(f"{self.__name__}.{name}")


class TimeType(dt.datetime):
    """pywintypes.TimeType: what a date cell's value is over COM (a tz-aware datetime)."""


class ComError(Exception):
    pass


PYWIN32 = ["pywintypes", "pythoncom", "win32api", "win32con", "win32gui", "win32process", "win32timezone",
           "win32event", "win32com", "win32com.client", "win32com.server", "win32com.server.dispatcher",
           "win32com.server.policy", "win32com.server.util"]


@pytest.fixture(scope="module")
def windows_xlwings():
    """xlwings as on Windows: its UDF machinery imported, `xw.func` etc. bound to it, our UDFs reloaded."""
    with pytest.MonkeyPatch.context() as mp:
        for name in PYWIN32:
            mp.setitem(sys.modules, name, _StandInModule(name))
        mp.setattr(sys.modules["pywintypes"], "TimeType", TimeType, raising=False)
        for mod, attr in (("pywintypes", "com_error"), ("pywintypes", "error"), ("pythoncom", "com_error"),
                          ("pythoncom", "ole_error")):
            mp.setattr(sys.modules[mod], attr, ComError, raising=False)
        mp.setattr(sys.modules["pythoncom"], "__file__", "pythoncom.pyd", raising=False)
        mp.setattr(sys.modules["win32timezone"], "TimeZoneInfo",
                   types.SimpleNamespace(utc=lambda: dt.timezone.utc), raising=False)
        mp.setattr(ctypes, "windll", _Anything("windll"), raising=False)
        mp.setattr(ctypes, "oledll", _Anything("oledll"), raising=False)
        for name in ("xlwings._xlwindows", "xlwings.udfs", "xlwings.com_server", MODULE):
            mp.delitem(sys.modules, name, raising=False)
        with pytest.MonkeyPatch.context() as dll:
            dll.setattr(ctypes, "PyDLL", _Anything("PyDLL"))
            xl_windows = importlib.import_module("xlwings._xlwindows")
        udfs = importlib.import_module("xlwings.udfs")
        importlib.import_module("xlwings.com_server")         # call_udf imports its event loop
        engines = xlwings.engines
        mp.setattr(engines, "engines", [*engines.engines, xlwings.main.Engine(impl=xl_windows.engine)])
        mp.setattr(engines, "engines_by_name", {**engines.engines_by_name, "excel": engines.engines[-1]})
        for public, private in (("func", "xlfunc"), ("arg", "xlarg"), ("ret", "xlret"), ("sub", "xlsub")):
            mp.setattr(xlwings, public, getattr(udfs, private))
        udfs.udf_modules.clear()
        module = importlib.import_module(MODULE)
        yield udfs, module
        udfs.udf_modules.clear()
        for name in ("xlwings._xlwindows", "xlwings.udfs", "xlwings.com_server"):
            sys.modules.pop(name, None)


def com(rows) -> tuple:
    """Rows as COM hands a range's Value over: tuples, dates as TimeType, empty cells None."""
    def cell(v):
        if isinstance(v, dt.datetime):
            return TimeType(v.year, v.month, v.day, v.hour, v.minute, tzinfo=dt.timezone.utc)
        return v
    return tuple(tuple(cell(v) for v in row) for row in rows)


def call(windows_xlwings, name, *args):
    udfs, _ = windows_xlwings
    out = udfs.call_udf(MODULE, name, args)
    assert isinstance(out, list) and isinstance(out[0], list)     # what goes back to Excel
    return out[0][0] if len(out) == 1 and len(out[0]) == 1 else out


@pytest.fixture(scope="module")
def sample():
    tables = sample_tables()
    return {name: com(frame_rows(frame)) for name, frame in tables.items()}


@pytest.fixture(scope="module")
def engine_result(sample_workbook):
    return compute(load_workbook(sample_workbook), AS_OF)


SOURCES = {"cohort": "Leads", "activity": "Activity", "deal_updates": "Deals"}


def test_every_metric_function_equals_the_engine_on_the_sample_workbook(windows_xlwings, sample, engine_result):
    _, module = windows_xlwings
    checked = 0
    for name, metric_id in module.METRIC_FUNCTIONS.items():
        metric = engine_result.settings.metric(metric_id)
        table = sample[SOURCES[metric.kind]]
        extra = (sample["Deal Updates"],) if metric.kind == "deal_updates" else ()
        for agent in engine_result.agents.index:
            got = call(windows_xlwings, name, table, agent, SERIAL, *extra, sample["Agents"])
            want = engine_result.value(agent, metric_id)["value"]
            if pd.isna(want):
                assert isinstance(got, str) and got.startswith("#N/A: "), (name, agent, got)
            else:
                assert got == pytest.approx(want), (name, agent)
                checked += 1
    assert checked > 150


def test_as_of_as_date_cell_serial_or_text_and_ids_as_numbers_agree(windows_xlwings, sample, engine_result):
    want = engine_result.value("A03", "schedule_rate_14d")["value"]
    as_dates = [SERIAL, TimeType(2026, 10, 31, tzinfo=dt.timezone.utc), "2026-10-31", "10/31/2026"]
    for as_of in as_dates:
        assert call(windows_xlwings, "KPI_SCHEDULE_RATE", sample["Leads"], " a03 ", as_of, MISSING) == pytest.approx(want)
    numeric = (("Lead ID", "Agent ID", "Type", "Matched", "Scheduled"),
               ("L1", 7.0, "Buyer", SERIAL - 20, SERIAL - 18), ("L2", "7", "Buyer", SERIAL - 20, None))
    assert call(windows_xlwings, "KPI_SCHEDULE_RATE", numeric, 7.0, SERIAL, MISSING) == 0.5


def test_benchmarks_with_the_agents_table_equal_the_engine(windows_xlwings, sample, engine_result):
    for metric_id in ("schedule_rate_14d", "contact_rate", "portal_update_rate"):
        metric = engine_result.settings.metric(metric_id)
        extra = sample["Deal Updates"] if metric.kind == "deal_updates" else MISSING
        for which, column in (("average", "average"), ("top10", "top10"), ("Top 10%", "top10")):
            got = call(windows_xlwings, "KPI_BENCHMARK", metric_id, which, sample[SOURCES[metric.kind]],
                       SERIAL, extra, sample["Agents"])
            assert got == pytest.approx(engine_result.benchmarks.at[metric_id, column])


def test_kpi_table_spills_every_agent_and_both_benchmark_rows(windows_xlwings, sample, engine_result):
    grid = call(windows_xlwings, "KPI_TABLE", sample["Agents"], sample["Activity"], sample["Leads"],
                sample["Deals"], SERIAL, sample["Deal Updates"])
    ids = list(engine_result.agents.index)
    assert [row[0] for row in grid[1:]] == [*ids, "Average", "Top 10%"]
    metrics = engine_result.settings.metric_ids
    for r, agent in enumerate(ids, start=1):
        for k, metric_id in enumerate(metrics):
            want = engine_result.value(agent, metric_id)
            rate, num, den = grid[r][3 + 3 * k: 6 + 3 * k]
            assert (rate == "—") if pd.isna(want["value"]) else rate == pytest.approx(want["value"])
            assert (num, den) == (want["numerator"], want["denominator"])
    assert grid[-2][3::3] == pytest.approx(list(engine_result.benchmarks["average"]))


def test_undefined_rates_are_na_text_with_a_reason_never_zero(windows_xlwings, sample):
    got = call(windows_xlwings, "KPI_SCHEDULE_RATE", sample["Leads"], "A01", "2020-01-01", MISSING)
    assert got == "#N/A: No leads matched Nov 19 – Dec 18, 2019"
    assert call(windows_xlwings, "KPI_RATE", 3.0, 0.0) == "#N/A: the denominator is 0, so the rate is undefined"
    assert call(windows_xlwings, "KPI_RATE", 3.0, None).startswith("#N/A")
    assert call(windows_xlwings, "KPI_RATE", 3.0, 4.0) == 0.75
    got = call(windows_xlwings, "KPI_CONTACT_RATE", sample["Activity"], "A25", SERIAL, sample["Agents"])
    assert got == "#N/A: agent 'A25' is inactive"
    got = call(windows_xlwings, "KPI_SCHEDULE_RATE", sample["Leads"], "A77", SERIAL, MISSING)
    assert got == "#N/A: agent 'A77' is not in the Leads table"


def test_bad_arguments_give_a_sentence_not_a_traceback(windows_xlwings, sample):
    cases = [
        (("KPI_SCHEDULE_RATE", sample["Leads"], "A01", "soon", MISSING), "as_of is not a date"),
        (("KPI_SCHEDULE_RATE", sample["Leads"], "A01", None, MISSING), "as_of is blank"),
        (("KPI_SCHEDULE_RATE", (("Lead ID", "Agent"), ("L1", "A01")), "A01", SERIAL, MISSING),
         "missing the required column"),
        (("KPI_BENCHMARK", "nope", "top10", sample["Leads"], SERIAL, MISSING, MISSING), "Unknown metric 'nope'"),
        (("KPI_BENCHMARK", "contact_rate", "best", sample["Activity"], SERIAL, MISSING, MISSING),
         "which must be"),
        (("KPI_RATE", "many", 3.0), "numerator is not a number"),
    ]
    for args, text in cases:
        got = call(windows_xlwings, *args)
        assert got.startswith("#VALUE!: ") and text in got and "Traceback" not in got, got


def test_three_hundred_formulas_over_10000_leads_type_the_range_once(windows_xlwings):
    """xlwings converts the range on every call (as Excel marshals it); we type it once.

    Timings are in benchmarks/bench_udfs.py; here: 300 formulas, one typing of the range.
    """
    _, module = windows_xlwings
    tables = network_tables(300, 10_000, 300, 30, seed=3)
    raw = com(frame_rows(tables["Leads"]))
    agents = list(tables["Agents"]["Agent ID"])
    leads = xlwings.conversion.read(None, raw, module.TABLE)
    module.cache.clear()
    misses = module.cache.teams.misses
    first = module.KPI_SCHEDULE_RATE(leads, agents[0], SERIAL)
    values = [module.KPI_SCHEDULE_RATE([list(r) for r in leads], a, SERIAL) for a in agents]
    assert module.cache.teams.misses - misses == 1
    assert values[0] == first
    assert all(isinstance(v, float) or v.startswith("#N/A: ") for v in values)
    assert module.KPI_SCHEDULE_RATE(leads, "Z99", SERIAL) == "#N/A: agent 'Z99' is not in the Leads table"
    edited = [list(r) for r in leads]    # a row the cache's sampled hash does not look at
    edited[5_001][1:5] = ["Z99", "Buyer", SERIAL - 20, SERIAL - 19]
    assert module.KPI_SCHEDULE_RATE(edited, "Z99", SERIAL) == 1.0
    assert module.cache.teams.misses - misses == 2


def test_an_edited_cell_is_never_served_a_stale_result(windows_xlwings):
    rows = [("Lead ID", "Agent ID", "Type", "Matched", "Scheduled"),
            ("L1", "A01", "Buyer", SERIAL - 20, SERIAL - 18), ("L2", "A01", "Buyer", SERIAL - 20, None)]
    assert call(windows_xlwings, "KPI_SCHEDULE_RATE", tuple(rows), "A01", SERIAL, MISSING) == 0.5
    rows[2] = ("L2", "A01", "Buyer", SERIAL - 20, SERIAL - 19)
    assert call(windows_xlwings, "KPI_SCHEDULE_RATE", tuple(rows), "A01", SERIAL, MISSING) == 1.0


def test_a_cell_edited_from_1_to_true_is_not_served_the_result_of_the_1(windows_xlwings):
    """Python finds TRUE == 1 (and hashes them alike), but TRUE is no count: the cache must tell them apart."""
    rows = [("Date", "Agent ID", "Calls", "Contacts"), (SERIAL - 1, "A01", 2.0, 1.0), (SERIAL - 2, "A01", 2.0, 1.0)]
    assert call(windows_xlwings, "KPI_CONTACT_RATE", tuple(rows), "A01", SERIAL, MISSING) == 0.5
    rows[2] = (SERIAL - 2, "A01", 2.0, True)
    assert call(windows_xlwings, "KPI_CONTACT_RATE", tuple(rows), "A01", SERIAL, MISSING) == 0.25


def test_a_list_edited_in_place_after_a_call_is_not_served_the_old_result(windows_xlwings):
    _, module = windows_xlwings
    rows = [["Lead ID", "Agent ID", "Type", "Matched", "Scheduled"],
            ["L1", "A01", "Buyer", SERIAL - 20, SERIAL - 18], ["L2", "A01", "Buyer", SERIAL - 20, None]]
    assert module.KPI_SCHEDULE_RATE(rows, "A01", SERIAL) == 0.5
    rows[2][4] = SERIAL - 19
    assert module.KPI_SCHEDULE_RATE(rows, "A01", SERIAL) == 1.0


class RecordingWorkbook:
    """Excel's Workbook COM object as import_udfs uses it: records the VBA and MacroOptions."""

    def __init__(self) -> None:
        self.Name, self.vba, self.macro_options = "team.xlsm", "", []
        self.VBProject = types.SimpleNamespace(VBComponents=self._Components(self))
        self.Application = types.SimpleNamespace(Version="16.0", MacroOptions=self._macro_options)

    def _macro_options(self, name, **options):
        self.macro_options.append((name, options))

    class _Components:
        def __init__(self, book):
            self.book = book

        def __call__(self, name):
            raise ComError(name)

        def Remove(self, component):
            pass

        def Import(self, path):
            with open(path, encoding="utf-8") as f:
                self.book.vba = f.read()


def test_import_functions_declares_every_function_with_help_and_category(windows_xlwings):
    udfs, module = windows_xlwings
    udfs.get_udf_module(MODULE, None)
    book = RecordingWorkbook()
    udfs.import_udfs(MODULE, book)
    assert "Function KPI_SCHEDULE_RATE(leads, agent_id, as_of, Optional agents)" in book.vba
    assert ("Function KPI_PORTAL_UPDATE_RATE(deals, agent_id, as_of, Optional deal_updates, Optional agents)"
            in book.vba)
    assert ('KPI_TABLE = XLPy.CallUDF("kpi_reports.excel.udfs", "KPI_TABLE", Array(agents, activity, leads, '
            'deals, as_of, deal_updates), ThisWorkbook, Application.Caller)') in book.vba
    options = dict(book.macro_options)
    assert set(options) == {f"'team.xlsm'!{name}" for name in module.__all__}
    for name in module.__all__:
        fn = getattr(module, name)
        declared = options[f"'team.xlsm'!{name}"]
        assert declared["Category"] == "KPI Reports"
        assert declared["Description"] == fn.__doc__ and len(fn.__doc__) <= 255
        assert declared["ArgumentDescriptions"] == [a["doc"] for a in fn.__xlfunc__["args"]]
        assert all(not d.startswith("Positional argument") for d in declared["ArgumentDescriptions"])


def test_ranges_arrive_raw_and_error_cells_count_as_unreadable(windows_xlwings):
    """COM hands error cells over as VT_ERROR codes: #N/A in a Scheduled cell is a bad event day."""
    na = -2146826246
    rows = (("Lead ID", "Agent ID", "Type", "Matched", "Scheduled"),
            ("L1", "A01", "Buyer", SERIAL - 20, na),
            ("L2", "A01", "Buyer", SERIAL - 20, SERIAL - 19))
    _, module = windows_xlwings
    assert module.TABLE == {"convert": "raw"}
    assert call(windows_xlwings, "KPI_SCHEDULE_RATE", rows, "A01", SERIAL, MISSING) == 1.0   # L1 left out
    team, _ = module.cache.lookup({"Leads": [list(r) for r in rows]}, AS_OF, module.current_settings())
    assert (2, "Scheduled", "not a date: '#N/A'") in [(p.row, p.column, p.problem) for p in team.problems]
