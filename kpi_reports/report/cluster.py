"""Scorecards rendered on a Dask distributed cluster (`--cluster tcp://host:8786`).

The caller reads the workbook and computes every number once, as for the local pool; the
cluster only lays pages out. Each task gets what one page needs: the template's name and
the page's context (strings and SVG); the templates travel once per worker, scattered as a
TemplateBundle, so workers need no copy of the folder. A task returns the PDF's bytes and
this process writes them where a local run would, atomically, with their fingerprint.

Why return bytes rather than write to a shared folder: a cluster's workers may not see the
caller's disk (or see it under another path, or as another user), and a half-written file
on a network share is exactly what an atomic replace here avoids. A scorecard is about
25 KB, so 50,000 of them are about 1.2 GB over the network, gathered one by one as they finish.

At most a few pages per worker thread are in flight (submitted as others finish), so the
scheduler holds a bounded number of contexts, not 50,000. Workers must run the same
kpi-reports and WeasyPrint as this process (checked before any work), with the same fonts
installed; run them with one thread each (`dask worker ADDRESS --nthreads 1`): layout
holds the GIL, so more threads per worker add memory, not speed.
"""
from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

from ..errors import UserError
from .fingerprint import code_version
from .templates import TemplateBundle

IN_FLIGHT_PER_THREAD = 4
CONNECT_SECONDS = 20


def render_on_cluster(jobs: list, bundle: TemplateBundle, address: str) -> Iterator[tuple]:
    """(job, PDF bytes, warnings) for every job, rendered on the cluster at `address`."""
    from .render import render_page

    client = _connect(address)
    try:
        _check_workers(client, address)
        templates = client.scatter(bundle, broadcast=True, hash=False)
        slots = IN_FLIGHT_PER_THREAD * max(1, sum(client.nthreads().values()))
        waiting = iter(jobs)
        submitted: dict = {}

        def submit(job) -> object:
            future = client.submit(render_page, templates, job.template, job.context, pure=False)
            submitted[future] = job
            return future

        from distributed import as_completed
        finished = as_completed([submit(job) for job in islice(waiting, slots)], loop=client.loop)
        for future in finished:
            job = submitted.pop(future)
            pdf, warnings = _result(future, job, address)
            future.release()
            for job_after in islice(waiting, 1):
                finished.add(submit(job_after))
            yield job, pdf, warnings
    finally:
        client.close()                       # the scheduler drops whatever is still queued


def _connect(address: str):
    try:
        from distributed import Client
    except ImportError:
        raise UserError("--cluster needs Dask distributed: pip install 'kpi-reports[cluster]'.") from None
    try:
        return Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise UserError(f"Could not reach the Dask scheduler at {address} ({exc}). Check the address "
                        "(tcp://HOST:8786) and that `dask scheduler` runs there.") from None


def _check_workers(client, address: str) -> None:
    """Every worker renders with this very code, or the fingerprints would lie."""
    try:
        client.wait_for_workers(1, timeout=CONNECT_SECONDS)
    except TimeoutError:
        raise UserError(f"The Dask cluster at {address} has no workers; start some with "
                        f"`dask worker {address} --nthreads 1`.") from None
    mine = code_version()
    theirs = client.run(code_version, on_error="return")
    differ = sorted(w for w, v in theirs.items() if v != mine)
    if differ:
        raise UserError(f"Dask worker(s) {', '.join(differ)} run another kpi-reports or WeasyPrint than this "
                        "machine (or none); install the same versions on every worker.")


def _result(future, job, address: str) -> tuple[bytes, list[str]]:
    from distributed import KilledWorker

    try:
        return future.result()
    except (KilledWorker, OSError) as exc:
        raise UserError(f"The Dask cluster at {address} could not render {job.target.name} "
                        f"({type(exc).__name__}: {exc}).") from None
