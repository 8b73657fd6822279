"""The numbers: every metric of SPEC.md, its benchmarks and the figures derived from them.

    windows.py   window sums over agent x day histograms (one pass for many as-of days)
    core.py      history() / compute(): the sums turned into rates, ranks and benchmarks
    coaching.py  what a reader is told from them: goal pace, gaps to the Average, focus
                 order, biggest movers, the mail's headline figures

The engine knows nothing of Excel, PDFs or mail; its results (kpi_reports.result) are
what every face reads.
"""
from ..result import AgentHistory, KpiHistory, KpiResult, MetricHistory
from .core import cohort_span, compute, history, month_end, month_ends, monthly_history, rate
from .windows import cohort_ages

__all__ = ["AgentHistory", "KpiHistory", "KpiResult", "MetricHistory", "cohort_ages", "cohort_span", "compute", "history",
           "month_end", "month_ends", "monthly_history", "rate"]
