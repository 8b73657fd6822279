"""Monthly PDF scorecards: one per agent and a summary for the team leader.

    run = render_scorecards(team, date(2026, 10, 1), Path("scorecards"), settings)
    run.scorecards["A01"]  # Path to scorecards/2026-10/A01-Dana_Lee.pdf
"""
from .context import scorecard_context, summary_context
from .render import ScorecardRun, check_month, render_scorecards
from .templates import DEFAULT_TEMPLATES

__all__ = ["render_scorecards", "ScorecardRun", "check_month", "scorecard_context", "summary_context",
           "DEFAULT_TEMPLATES"]
