"""Files are replaced whole, with sensible permissions, and a failure leaves nothing behind."""
import os
import stat

import pytest

from kpi_reports.atomic import replacing, write_bytes


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_new_file_gets_umask_permissions_not_private_ones(tmp_path):
    old = os.umask(0o022)
    try:
        path = write_bytes(tmp_path / "a.pdf", b"x")
    finally:
        os.umask(old)
    assert mode(path) == 0o644


def test_existing_file_keeps_its_permissions(tmp_path):
    path = tmp_path / "team.xlsx"
    path.write_bytes(b"old")
    path.chmod(0o640)
    write_bytes(path, b"new")
    assert path.read_bytes() == b"new" and mode(path) == 0o640


def test_failure_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "team.xlsx"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with replacing(path) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("disk full")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["team.xlsx"]
