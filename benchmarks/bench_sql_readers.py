"""Which library reads a PostgreSQL table into pandas fastest: the figures behind
kpi_reports/sources/postgres.py's choice of ADBC. Prints figures; asserts nothing.

    python benchmarks/bench_sql_readers.py            # 1,000,000 leads
    python benchmarks/bench_sql_readers.py --rows 100000

Starts a throwaway PostgreSQL server (tests/pg_server.py: Debian's initdb and pg_ctl),
loads the leads of kpi_reports.sample.network_tables (text IDs, four date columns) and
times each reader from connect to DataFrame, best of --repeat. A reader whose package is
not installed (SQLAlchemy, psycopg, DuckDB are not dependencies) is skipped with a note.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from kpi_reports.sample import network_tables  # noqa: E402
from kpi_reports.sources.export import write_postgres_tables  # noqa: E402
from pg_server import PgServer, find_bindir  # noqa: E402

QUERY = 'SELECT * FROM "Leads"'


def adbc(url: str):
    import adbc_driver_postgresql.dbapi as dbapi
    with dbapi.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute(QUERY)
        return cursor.fetch_arrow_table().to_pandas(date_as_object=False)


def sqlalchemy_psycopg(url: str):
    import pandas as pd
    import sqlalchemy
    engine = sqlalchemy.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as connection:
        return pd.read_sql_query(sqlalchemy.text(QUERY), connection)


def psycopg_fetchall(url: str):
    import pandas as pd
    import psycopg
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute(QUERY)
        return pd.DataFrame(cursor.fetchall(), columns=[d.name for d in cursor.description])


def duckdb_postgres(url: str):
    import duckdb
    connection = duckdb.connect()
    connection.execute("INSTALL postgres; LOAD postgres")      # a download from DuckDB's site
    return connection.execute(f"SELECT * FROM postgres_scan('{url}', 'public', 'Leads')").df()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("PostgreSQL's initdb/pg_ctl are not installed (apt-get install postgresql).")
    server = PgServer(bindir).start()
    try:
        leads = network_tables(2_000, args.rows, 10, 10, seed=5)["Leads"]
        write_postgres_tables({"Leads": leads}, server.url())
        print(f"reading {len(leads):,} leads ({len(leads.columns)} columns) from PostgreSQL into pandas, "
              f"best of {args.repeat}; load average {Path('/proc/loadavg').read_text().split()[0]}")
        for reader in (adbc, psycopg_fetchall, sqlalchemy_psycopg, duckdb_postgres):
            try:
                best = float("inf")
                for _ in range(args.repeat):
                    start = time.perf_counter()
                    frame = reader(server.url())
                    best = min(best, time.perf_counter() - start)
                print(f"  {reader.__name__:<20} {best:7.2f} s   {len(frame):,} rows")
            except ImportError as exc:
                print(f"  {reader.__name__:<20} skipped: {exc.name} is not installed")
            except Exception as exc:
                print(f"  {reader.__name__:<20} failed: {type(exc).__name__}: {str(exc).splitlines()[0][:120]}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
