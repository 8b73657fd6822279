"""kpi-reports: agent performance KPIs for real-estate teams and referral networks."""
from .engine import KpiHistory, KpiResult, compute, history, month_ends, monthly_history
from .errors import UserError, WorkbookError
from .load import load_rows, load_workbook
from .model import Problem, TeamData
from .settings import MetricDef, Settings, load_settings

__all__ = ["compute", "history", "month_ends", "monthly_history", "load_workbook", "load_rows", "load_settings",
           "KpiHistory", "KpiResult", "Problem", "TeamData", "MetricDef", "Settings", "UserError", "WorkbookError"]
__version__ = "0.1.0"
