"""How the package is put together: one version, and a command line that starts light."""
from __future__ import annotations

import tomllib
from pathlib import Path

from click.testing import CliRunner

import kpi_reports
from kpi_reports.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_the_version_lives_in_the_package_only():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"] and project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "kpi_reports.__version__"}
    out = CliRunner().invoke(main, ["--version"], prog_name="kpi-reports")
    assert out.exit_code == 0 and out.output == f"kpi-reports, version {kpi_reports.__version__}\n"
