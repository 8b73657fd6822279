"""Files are replaced whole, with sensible permissions, and a failure leaves nothing behind."""
import os
import stat

import pytest

from kpi_reports.atomic import copy_file, replacing, temp_files, write_bytes
from kpi_reports.errors import UserError


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


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another owner needs root")
def test_replacement_keeps_owner_and_group_and_a_copy_takes_its_sources(tmp_path):
    path = tmp_path / "team.xlsx"
    path.write_bytes(b"old")
    os.chown(path, 4321, 8765)
    path.chmod(0o640)
    notes = []
    with replacing(path, notes=notes) as tmp:
        tmp.write_bytes(b"new")
    copy = copy_file(path, tmp_path / "team.bak.xlsx", notes)
    for written in (path, copy):
        st = written.stat()
        assert (st.st_uid, st.st_gid, mode(written)) == (4321, 8765, 0o640)
    assert copy.read_bytes() == b"new" and notes == []


def test_a_folder_that_cannot_be_made_is_a_user_error_naming_the_path(tmp_path):
    (tmp_path / "notes.txt").write_text("a file")
    with pytest.raises(UserError, match=r"Could not write .*notes.txt/a.pdf: File exists \(.*notes.txt\)"):
        write_bytes(tmp_path / "notes.txt" / "a.pdf", b"x")


def test_temp_files_finds_only_the_ones_replacing_makes(tmp_path):
    path = tmp_path / "team.xlsx"
    for name in (".team.ab_12cd9.xlsx.tmp", ".team.abc.xlsx.tmp", ".other.ab_12cd9.xlsx.tmp",
                 "team.ab_12cd9.xlsx.tmp", ".team.ab_12cd9.xlsx"):
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in temp_files(path)] == [".team.ab_12cd9.xlsx.tmp"]
