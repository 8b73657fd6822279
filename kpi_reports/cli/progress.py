"""A rich progress bar that library code can drive through a plain callback."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Callable

from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn,
                           TimeElapsedColumn)

from .common import console_err


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[int, int], None]]:
    """Yields update(done, total); draws on stderr (stdout stays clean for pipes).

    The bar appears at the first update, so a run that stops on bad input, or has
    nothing to do, shows no empty bar.
    """
    shown: tuple[Progress, TaskID] | None = None     # the bar and its task, once drawn

    def update(done: int, total: int) -> None:
        nonlocal shown
        if shown is None:
            bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                           TimeElapsedColumn(), console=console_err)
            bar.start()
            shown = bar, bar.add_task(description, total=total)
        bar, task = shown
        bar.update(task, completed=done, total=total)

    try:
        yield update
    finally:
        if shown is not None:
            shown[0].stop()
