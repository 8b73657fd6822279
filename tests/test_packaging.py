"""How the package is put together: one version, and a command line that starts light."""
from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from click.testing import CliRunner

import kpi_reports
from kpi_reports.cli import main

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ["weasyprint", "openpyxl", "xlwings", "xlsxwriter", "jinja2", "pandas", "numpy", "python_calamine"]
# Every command's --help in a fresh interpreter, then the heavy libraries it imported.
HELP_SCRIPT = """
import sys
from click.testing import CliRunner
from kpi_reports.cli import main
for args in [["--help"], *([name, "--help"] for name in main.commands)]:
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 0 and "Usage:" in out.output, (args, out.output)
print(len(main.commands), *sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[1:])))
"""


def test_the_version_lives_in_the_package_only():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"] and project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "kpi_reports.__version__"}
    out = CliRunner().invoke(main, ["--version"], prog_name="kpi-reports")
    assert out.exit_code == 0 and out.output == f"kpi-reports, version {kpi_reports.__version__}\n"


def test_help_imports_none_of_the_heavy_libraries():
    """`kpi-reports --help` answers at once: the libraries a command works with load when it runs."""
    out = subprocess.run([sys.executable, "-c", HELP_SCRIPT, *HEAVY], capture_output=True, text=True, check=True)
    count, *imported = out.stdout.split()
    assert int(count) >= 8 and imported == []


def test_every_public_name_loads_on_first_use():
    names = subprocess.run([sys.executable, "-c", "import kpi_reports as k; print(*[n for n in k.__all__ "
                            "if getattr(k, n).__name__ != n])"], capture_output=True, text=True, check=True)
    assert names.stdout.split() == []


def test_every_package_and_the_report_templates_are_in_the_wheel():
    """pyproject lists packages by hand (report_templates/ is mapped into the package):
    a new subpackage left off the list would be missing from `pip install .`."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "kpi_reports").rglob("__init__.py")}
    assert on_disk - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    assert "kpi_reports.report_templates" in listed


def test_the_built_in_templates_are_read_as_package_data():
    from kpi_reports.report.templates import DEFAULT_TEMPLATES

    assert (DEFAULT_TEMPLATES / "scorecard.html").is_file()
    assert (DEFAULT_TEMPLATES / "email" / "body.txt").is_file()
