"""The team read from a folder of Parquet files and from a real PostgreSQL server (started
by the fixture below from Debian's binaries) gives the numbers the same data gives in a
workbook, on every face; bad rows are found by their key; a password never shows."""
from __future__ import annotations

import email
import json
from email import policy
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pdfplumber
import pytest
from click.testing import CliRunner

from kpi_reports.cli import main
from kpi_reports.errors import WorkbookError
from kpi_reports.sample import sample_tables
from kpi_reports.settings import settings_for
from kpi_reports.sources import DatabaseUrl, load_team
from kpi_reports.sources.export import write_parquet_folder, write_postgres_tables
from kpi_reports.sources.postgres import PostgresDatabase
from kpi_reports.team_workbook import write_team_workbook
from conftest import free_port, team_tables
from pg_server import PASSWORD, PgServer, find_bindir
from test_cli_email import smtp  # noqa: F401  (a real SMTP server on 127.0.0.1)

MAIL_SETTINGS = '[mail]\nfrom = "Office <office@team.example>"\n'


@pytest.fixture(scope="session")
def postgres():
    bindir = find_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL's initdb/pg_ctl are not installed (.ci/install-system-packages installs them)")
    server = PgServer(bindir).start()
    yield server
    server.stop()


def schema_url(server: PgServer, schema: str, password: str | None = PASSWORD) -> str:
    """The server's URL with `schema` first on the search path (created empty if new)."""
    with PostgresDatabase(DatabaseUrl(server.url())) as db, db.connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        cursor.execute(f'CREATE SCHEMA "{schema}"')
        db.connection.commit()
    return server.url(password) + f"&options=-csearch_path%3D{schema}"


def sql(url: str, *statements: str) -> None:
    with PostgresDatabase(DatabaseUrl(url)) as db, db.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
        db.connection.commit()


@pytest.fixture(scope="module")
def sources(tmp_path_factory, postgres):
    """The sample team as a workbook, a Parquet folder and PostgreSQL tables."""
    tables = sample_tables()
    root = tmp_path_factory.mktemp("sources")
    workbook = write_team_workbook(tables, root / "book" / "team.xlsx")
    parquet = write_parquet_folder(tables, root / "parquet" / "team")
    url = schema_url(postgres, "sample")
    write_postgres_tables(tables, url)
    settings = root / "kpi-reports.toml"
    settings.write_text(MAIL_SETTINGS)
    return {"workbook": workbook, "parquet": parquet, "postgres": url, "settings": settings}


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def flat(text: str) -> str:
    """The output as one line: the terminal's wrapping undone where it broke at a space."""
    return " ".join(text.split())


def metrics_json(source) -> dict:
    out = run("metrics", source, "--as-of", "2026-10-31", "--json")
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)


def test_metrics_are_the_same_from_a_workbook_parquet_files_and_postgres(sources):
    book, parquet, pg = (metrics_json(sources[k]) for k in ("workbook", "parquet", "postgres"))
    assert len(book["agents"]) == 24
    # a stale deal's row is the Deals sheet's; a table has none (the deal is found by its ID)
    book_rows = [d.pop("row") for a in book["agents"] for d in a["stale_deals"]]
    assert len(book_rows) == 8 and all(isinstance(r, int) for r in book_rows)
    for table in (parquet, pg):
        assert {d.pop("row") for a in table["agents"] for d in a["stale_deals"]} == {None}
    for key in ("as_of", "agents", "benchmarks"):
        assert parquet[key] == book[key]
        assert pg[key] == book[key]
    # the same problems; a table has no row numbers, so its rows are found by their key
    assert parquet["data_quality"] == pg["data_quality"] == [
        {"sheet": "Activity", "row": None, "key": "Agent ID 'A08', Date 2025-05-06", "column": "Calls",
         "problem": "negative count '-5' (counted as blank)"},
        {"sheet": "Activity", "row": None, "key": "Agent ID 'A99', Date 2025-05-01", "column": "Agent ID",
         "problem": "unknown agent 'A99' (not on the Agents sheet)"},
        {"sheet": "Leads", "row": None, "key": "Lead ID 'L000011'", "column": "Met", "problem": "before Matched"},
        {"sheet": "Leads", "row": None, "key": "Lead ID 'L000021'", "column": "Type",
         "problem": "unknown Type 'Renter' (use Buyer, Seller, Offers); the lead counts in no lead metric"},
        {"sheet": "Leads", "row": None, "key": "Lead ID 'L000031'", "column": "Scheduled",
         "problem": "not a date: 'call back'"},
        {"sheet": "Leads", "row": None, "key": "Lead ID 'L000042'", "column": "Lead ID",
         "problem": "duplicate Lead ID 'L000042': a later row replaces it"},
        {"sheet": "Deals", "row": None, "key": "Deal ID 'D000018'", "column": "Closed", "problem": "before Opened"},
    ]
    assert sorted((p["sheet"], p["column"]) for p in book["data_quality"]) == sorted(
        (p["sheet"], p["column"]) for p in pg["data_quality"])


def pdf_text(path: Path) -> str:
    with pdfplumber.open(path) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def test_a_scorecard_from_postgres_reads_as_the_one_from_the_workbook(sources, tmp_path):
    texts = {}
    for kind in ("workbook", "postgres"):
        out = run("scorecards", sources[kind], "--month", "2026-10", "--agent", "A01", "--out", tmp_path / kind)
        assert out.exit_code == 0, out.output
        (pdf,) = (tmp_path / kind / "2026-10").glob("A01-*.pdf")
        texts[kind] = pdf_text(pdf)
    assert "Dana Lee" in texts["postgres"]
    assert "October 2026" in texts["postgres"]
    assert texts["postgres"] == texts["workbook"]


@pytest.mark.parametrize("kind", ["parquet", "postgres"])
def test_email_send_from_a_table_source_mails_each_agent_the_workbooks_scorecard(sources, kind, tmp_path, smtp):  # noqa: F811
    out = run("email", sources[kind], "--month", "2026-10", "--send", "--settings", sources["settings"],
              "--out", tmp_path / "pdf", "--outbox", tmp_path / "outbox")
    assert out.exit_code == 0, out.output
    scorecards = {}
    for _rcpts, raw in smtp.received:
        message = email.message_from_bytes(raw, policy=policy.default)
        if "scorecard" in message["Subject"]:
            (pdf,) = message.iter_attachments()
            scorecards[message["To"].addresses[0].addr_spec] = pdf.get_content()
    team = load_team(sources["workbook"])
    assert set(scorecards) == set(team.active_agents["email"])
    book = run("scorecards", sources["workbook"], "--month", "2026-10", "--agent", "A07", "--out", tmp_path / "book")
    assert book.exit_code == 0, book.output
    (book_pdf,) = (tmp_path / "book" / "2026-10").glob("A07-*.pdf")
    mailed = tmp_path / "mailed.pdf"
    mailed.write_bytes(scorecards[team.agents.at["A07", "email"]])
    assert pdf_text(mailed) == pdf_text(book_pdf)


def test_check_on_a_postgres_table_names_the_table_column_and_key(postgres, tmp_path):
    url = schema_url(postgres, "bad")
    tables = team_tables(
        leads=[{"Lead ID": "L1", "Agent ID": "A01", "Type": "Buyer", "Matched": "2026-09-01"},
               {"Lead ID": "L2", "Agent ID": "A02", "Type": "Seller", "Matched": "soon"}],
        deals=[{"Deal ID": "D1", "Agent ID": "A01", "Opened": "2026-09-01"}],
        updates=[{"Deal ID": "D1", "Updated": "2026-09-03"}])
    tables["Agents"]["Leader"] = ["Yes", "No"]         # North has its leader: check has nothing else to say
    # names as a database would have them: lower case, underscores; Agents is a view
    write_postgres_tables({"agents_base": tables["Agents"], "activity": tables["Activity"],
                           "leads": tables["Leads"], "DEALS": tables["Deals"],
                           "deal_updates": tables["Deal Updates"]}, url)
    sql(url, "CREATE VIEW agents AS SELECT * FROM agents_base")
    out = run("check", url, "--json")
    assert out.exit_code == 1, out.output
    assert json.loads(out.stdout) == [
        {"sheet": "leads", "row": None, "key": "Lead ID 'L2'", "column": "Matched", "problem": "not a date: 'soon'"}]
    table = run("check", url)
    assert "leads" in table.output and "Lead ID 'L2'" in table.output and "Matched" in table.output
    assert PASSWORD not in table.output + out.output


def test_a_password_in_the_url_is_never_printed(sources, postgres):
    out = run("metrics", sources["postgres"], "--as-of", "2026-10-31")
    assert out.exit_code == 0, out.output
    assert "check postgresql://kpi:***@/postgres?host=" in out.output.replace("\n", "")
    wrong = postgres.url("not-the-Pa55word")
    refused = run("metrics", wrong, "--as-of", "2026-10-31")
    assert refused.exit_code == 2
    assert "Could not connect to postgresql://kpi:***@/postgres?host=" in refused.output.replace("\n", "")
    assert "password authentication failed" in flat(refused.output)
    assert "not-the-Pa55word" not in refused.output
    gone = run("check", postgres.url().replace(f"port={postgres.port}", f"port={free_port()}"))
    assert gone.exit_code == 2 and "Could not connect" in gone.output and PASSWORD not in gone.output


def test_database_url_masks_every_spelling_of_the_password():
    url = DatabaseUrl("postgresql://ann:p%40ss%3Aword@db.example:5432/team?sslmode=require")
    assert str(url) == "postgresql://ann:***@db.example:5432/team?sslmode=require"
    assert "ss" not in repr(url).replace("sslmode", "")
    assert url.masked("auth failed for p@ss:word and p%40ss%3Aword") == "auth failed for *** and ***"
    query = DatabaseUrl("postgres://ann@/team?host=/run/pg&password=hunter22")
    assert str(query) == "postgres://ann@/team?host=/run/pg&password=***"
    assert "hunter22" in query.for_driver() and "connect_timeout=15" in query.for_driver()


def test_database_types_read_as_the_same_cells_in_a_workbook(postgres, write_workbook):
    """Integer IDs, booleans, numeric money, timestamptz and date columns type as cells do."""
    url = schema_url(postgres, "types")
    tables = team_tables(
        agents=[{"Agent ID": "7", "Name": "Dana Lee", "Active": "Yes", "Annual Volume Goal": 1_250_000.5},
                {"Agent ID": "8", "Name": "Tom Kim", "Active": "No", "Annual Volume Goal": None}],
        activity=[{"Date": "2026-10-02", "Agent ID": "7", "Calls": 12, "Closed Volume": 300_000}],
        leads=[{"Lead ID": "L1", "Agent ID": "7", "Type": "Buyer", "Matched": "2026-09-01", "Met": "2026-09-04"}],
        deals=[{"Deal ID": "D1", "Agent ID": "7", "Opened": "2026-09-01", "Closed": "2026-10-20"}])
    book = load_team(write_workbook(tables))
    statements = [
        'CREATE TABLE "Agents" ("Agent ID" integer, "Name" text, "Active" boolean, "Annual Volume Goal" numeric(14,2))',
        "INSERT INTO \"Agents\" VALUES (7, 'Dana Lee', true, 1250000.50), (8, 'Tom Kim', false, NULL)",
        'CREATE TABLE "Activity" ("Date" timestamptz, "Agent ID" bigint, "Calls" smallint, contacts int, '
        'appointments real, contracts float, "Closed Volume" numeric)',
        "INSERT INTO \"Activity\" VALUES ('2026-10-02 00:00:00+00', 7, 12, NULL, NULL, NULL, 300000)",
        'CREATE TABLE "Leads" (lead_id text, agent_id int, type text, matched date, scheduled date, met date, '
        'signed timestamp)',
        "INSERT INTO \"Leads\" VALUES ('L1', 7, 'Buyer', '2026-09-01', NULL, '2026-09-04', NULL)",
        'CREATE TABLE deals (deal_id text, agent_id int, opened date, closed date, last_updated date)',
        "INSERT INTO deals VALUES ('D1', 7, '2026-09-01', '2026-10-20', NULL)",
    ]
    sql(url, *statements)
    db = load_team(url)
    assert db.problems == book.problems == []
    assert db.agents.drop(columns="row").equals(book.agents.drop(columns="row"))
    assert list(db.agents.index) == ["7", "8"] and db.agents.at["7", "annual_goal"] == 1_250_000.5
    for name in ("activity", "leads", "deals", "deal_updates"):
        mine, theirs = (getattr(t, name).drop(columns="row", errors="ignore") for t in (db, book))
        pd.testing.assert_frame_equal(mine, theirs, check_dtype=False, check_categorical=False)


def test_missing_tables_and_columns_are_named_together(tmp_path):
    tables = team_tables()
    del tables["Deals"]
    tables["Leads"] = tables["Leads"].drop(columns=["Type", "Matched"])
    folder = write_parquet_folder(tables, tmp_path / "team")
    out = run("metrics", folder)
    assert out.exit_code == 2
    text = flat(out.output)
    assert "no Parquet file named 'Deals' (with the columns Deal ID, Agent ID, Opened)" in text
    assert "the Parquet file 'Leads' lacks the column(s) Type, Matched" in text


def test_a_folder_without_parquet_or_with_a_broken_file_is_a_clear_error(tmp_path):
    (tmp_path / "empty").mkdir()
    out = run("check", tmp_path / "empty")
    assert out.exit_code == 2 and "holds no .csv files and no .parquet files" in flat(out.output)
    folder = write_parquet_folder(team_tables(), tmp_path / "team")
    (folder / "Leads.parquet").write_bytes(b"PAR1 not really")
    out = run("check", folder)
    assert out.exit_code == 2 and "could not be read as Parquet" in flat(out.output), out.output


def test_other_database_urls_are_refused_with_what_is_supported():
    out = run("metrics", "mysql://me:secret@db/team")
    assert out.exit_code == 2
    assert "mysql:// sources are not supported: give a postgresql:// URL" in out.output
    assert "secret" not in out.output
    with pytest.raises(WorkbookError):
        load_team("sqlite:///team.db")


def test_tables_and_columns_are_found_by_the_settings_names_as_in_a_workbook(tmp_path):
    tables = team_tables(leads=[{"Lead ID": "L1", "Agent ID": "A01", "Type": "Buyer", "Matched": "2026-09-01",
                                 "Met": "2026-09-03"}],
                         deals=[{"Deal ID": "D1", "Agent ID": "A01", "Opened": "2026-09-01"}])
    leads = tables.pop("Leads").rename(columns={"Lead ID": "Lead Number", "Matched": "Created"})
    tables["Agents"]["Leader"] = ["Yes", "No"]         # North has its leader: check has nothing else to say
    folder = write_parquet_folder({**tables, "crm_leads": leads}, tmp_path / "team")
    out = run("check", folder)
    assert out.exit_code == 2
    assert ("no Parquet file named 'Leads' (with the columns Lead ID, Agent ID, Type, Matched). Parquet files "
            "found: Activity, Agents, Deals, crm_leads.") in flat(out.output)
    assert "other names are mapped in the settings ([sheets] and [columns.<Sheet>], as for a workbook)" in flat(
        out.output)
    (folder / "kpi-reports.toml").write_text('[sheets]\nLeads = "crm_leads"\n\n[columns.Leads]\n'
                                             '"Lead ID" = "Lead Number"\nMatched = "Created"\nSigned = "Signed On"\n')
    out = run("check", folder, "--json")
    assert out.exit_code == 1, out.output
    assert json.loads(out.stdout) == [
        {"sheet": "crm_leads", "row": None, "column": "Signed",
         "problem": "the settings map Signed to 'Signed On', which is not a column of this sheet: Signed is not read"},
        {"sheet": "crm_leads", "row": None, "column": "Signed",
         "problem": "column 'Signed' not found: 28-day seller sign rate and 28-day offers sign rate undefined"}]
    team = load_team(folder, settings_for(folder))
    assert list(team.leads["lead_id"]) == ["L1"] and str(team.leads.at[0, "matched"].date()) == "2026-09-01"


MESSY_IDS = dict(
    agents=[{"Agent ID": " A01 ", "Name": "Dana Lee"}, {"Agent ID": "Straße", "Name": "Jo Weiss"},
            {"Agent ID": "A02", "Name": "Tom Kim"}],
    activity=[{"Date": "2026-10-01", "Agent ID": "a01", "Calls": 3},
              {"Date": "2026-10-01", "Agent ID": "STRASSE", "Calls": 4},       # casefolds to strasse
              {"Date": "2026-10-02", "Agent ID": "A99", "Calls": 5},
              {"Date": "2026-10-03", "Agent ID": None, "Calls": 6}],
    leads=[{"Lead ID": " L1", "Agent ID": "A01", "Type": "buyer ", "Matched": "2026-09-01"},
           {"Lead ID": "l1", "Agent ID": "a02", "Type": "Seller", "Matched": "2026-09-02"},
           {"Lead ID": None, "Agent ID": "A02", "Type": "Offers", "Matched": "2026-09-03"},
           {"Lead ID": "L2", "Agent ID": "straße", "Type": "Renter", "Matched": "2026-09-04"},
           {"Lead ID": "L3", "Agent ID": "A01", "Type": None, "Matched": "2026-09-05"}],
    deals=[{"Deal ID": "D1", "Agent ID": "A01", "Opened": "2026-09-01"},
           {"Deal ID": " d1", "Agent ID": "A02", "Opened": "2026-09-02"},
           {"Deal ID": "D2", "Agent ID": "A02", "Opened": "2026-09-03", "Last Updated": "2026-09-05"}],
    updates=[{"Deal ID": "d2 ", "Updated": "2026-09-10"}, {"Deal ID": "D9", "Updated": "2026-09-11"},
             {"Deal ID": None, "Updated": "2026-09-12"}, {"Deal ID": "D1", "Updated": "2026-09-13"}])


@pytest.mark.parametrize("dictionary_pages", [True, False])
def test_ids_from_parquet_match_trimmed_and_ignoring_case_as_in_a_workbook(tmp_path, dictionary_pages):
    """IDs are typed per distinct value and kept as codes (Agent IDs, Type read as Parquet
    dictionaries when the file has them); the result is the workbook's, row for row."""
    tables = team_tables(**MESSY_IDS)
    folder = write_parquet_folder(tables, tmp_path / "team")
    if not dictionary_pages:
        for path in folder.glob("*.parquet"):
            pq.write_table(pq.read_table(path), path, use_dictionary=False)
    parquet = load_team(folder)
    book = load_team(write_team_workbook(tables, tmp_path / "team.xlsx"))
    assert [p.as_json() for p in parquet.problems] == [
        {"sheet": "Activity", "row": None, "key": "Agent ID 'A99', Date '2026-10-02'", "column": "Agent ID",
         "problem": "unknown agent 'A99' (not on the Agents sheet)"},
        {"sheet": "Activity", "row": None, "key": "Agent ID blank, Date '2026-10-03'", "column": "Agent ID",
         "problem": "missing Agent ID"},
        {"sheet": "Leads", "row": None, "key": "Lead ID 'L1'", "column": "Lead ID",
         "problem": "duplicate Lead ID 'L1': a later row replaces it"},
        {"sheet": "Leads", "row": None, "key": "Lead ID 'L2'", "column": "Type",
         "problem": "unknown Type 'Renter' (use Buyer, Seller, Offers); the lead counts in no lead metric"},
        {"sheet": "Leads", "row": None, "key": "Lead ID 'L3'", "column": "Type", "problem": "missing Type"},
        {"sheet": "Leads", "row": None, "key": "Lead ID blank", "column": "Lead ID", "problem": "missing Lead ID"},
        {"sheet": "Deals", "row": None, "key": "Deal ID 'D1'", "column": "Deal ID",
         "problem": "duplicate Deal ID 'D1': a later row replaces it"},
        {"sheet": "Deal Updates", "row": None, "key": "Deal ID 'D9', Updated '2026-09-11'", "column": "Deal ID",
         "problem": "unknown deal 'D9' (not on the Deals sheet)"},
        {"sheet": "Deal Updates", "row": None, "key": "Deal ID blank, Updated '2026-09-12'", "column": "Deal ID",
         "problem": "missing Deal ID"},
    ]
    # the workbook's rows by number; the later duplicate's row is a whole number (was "row 3.0"
    # when the sheet also had a blank ID)
    assert [(p.sheet, p.row, p.problem) for p in book.problems if "duplicate" in p.problem] == [
        ("Leads", 2, "duplicate Lead ID 'L1': row 3 replaces it"),
        ("Deals", 2, "duplicate Deal ID 'D1': row 3 replaces it")]
    assert len(book.problems) == len(parquet.problems)
    assert list(parquet.agents.index) == ["A01", "Straße", "A02"]
    assert list(parquet.activity["agent_id"]) == ["A01", "Straße"]
    assert list(parquet.leads["lead_id"].fillna("-")) == ["l1", "-", "L2", "L3"]
    assert list(parquet.leads["agent_id"]) == ["A02", "A02", "Straße", "A01"]
    assert list(parquet.deals["deal_id"]) == ["d1", "D2"]
    assert list(parquet.deal_updates["deal_id"]) == ["D2", "D2", "d1"]
    for name in ("agents", "activity", "leads", "deals", "deal_updates"):
        mine, theirs = (getattr(t, name).drop(columns="row", errors="ignore") for t in (parquet, book))
        pd.testing.assert_frame_equal(mine, theirs, check_dtype=False, check_categorical=False)
        for column in ("agent_id", "deal_id"):
            if isinstance(mine.get(column, pd.Series()).dtype, pd.CategoricalDtype):
                assert list(mine[column].cat.categories) == list(theirs[column].cat.categories)


def test_a_dictionary_value_no_row_holds_is_no_deal(tmp_path):
    """Parquet keeps a dictionary's unused values (a pandas categorical's spare categories):
    a Deal ID found only there is not on the Deals sheet, and an update of it is reported."""
    tables = team_tables(deals=[{"Deal ID": "D1", "Agent ID": "A01", "Opened": "2026-09-01"}],
                         updates=[{"Deal ID": "D1", "Updated": "2026-09-02"},
                                  {"Deal ID": "D7", "Updated": "2026-09-03"}])
    folder = write_parquet_folder(tables, tmp_path / "team")
    deals = pq.read_table(folder / "Deals.parquet")
    spare = pa.DictionaryArray.from_arrays(pa.array([0], pa.int32()), pa.array(["D1", "D7"]))
    pq.write_table(deals.set_column(0, "Deal ID", spare), folder / "Deals.parquet")
    assert list(pq.read_table(folder / "Deals.parquet").column("Deal ID").chunk(0).dictionary) == [
        pa.scalar("D1"), pa.scalar("D7")]
    team = load_team(folder)
    assert [p.as_json() for p in team.problems] == [
        {"sheet": "Deal Updates", "row": None, "key": "Deal ID 'D7', Updated '2026-09-03'", "column": "Deal ID",
         "problem": "unknown deal 'D7' (not on the Deals sheet)"}]
    assert list(team.deals["deal_id"]) == ["D1"]
    assert list(team.deal_updates["deal_id"]) == ["D1"]
