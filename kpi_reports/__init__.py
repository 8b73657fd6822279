"""kpi-reports: agent performance KPIs for real-estate teams and referral networks."""
from .engine import compute, history, month_ends, monthly_history
from .errors import UserError, WorkbookError
from .load import load_rows, load_workbook
from .model import KpiResult, Problem, TeamData
from .settings import MetricDef, Settings, load_settings

__all__ = ["compute", "history", "month_ends", "monthly_history", "load_workbook", "load_rows", "load_settings",
           "KpiResult", "Problem", "TeamData", "MetricDef", "Settings", "UserError", "WorkbookError"]
__version__ = "0.1.0"
