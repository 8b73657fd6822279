"""A PostgreSQL database given as a URL: tables or views named as the sheets are.

Read over ADBC's PostgreSQL driver (libpq, binary COPY straight into Arrow columns): 1M
leads into pandas took 3.4-3.6 s, against 7.9 s for psycopg's fetchall and 9.8-15.5 s for
SQLAlchemy + psycopg (pandas.read_sql); DuckDB's postgres extension is downloaded at run
time and fails offline (benchmarks/bench_sql_readers.py, on the shared 2-core VM). Tables, views and materialised views of the URL's
current schema (set it with ?options=-csearch_path%3Dmyschema) are seen.

A password in the URL is never shown: DatabaseUrl prints it masked, and the driver's
messages are scrubbed of it. PGPASSWORD or ~/.pgpass keep it out of the URL altogether.
"""
from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

from ..errors import WorkbookError

if TYPE_CHECKING:
    import pyarrow as pa

SCHEMES = ("postgresql", "postgres")
MASK = "***"
CONNECT_TIMEOUT_S = 15        # a server that does not answer is an error, not a hang
RELATIONS = """
    SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'v', 'm', 'p', 'f') ORDER BY c.relname
"""


def is_database_url(text: str) -> bool:
    return text.split("://", 1)[0].lower() in SCHEMES


@dataclass(frozen=True)
class DatabaseUrl:
    """A postgresql:// URL; str() and repr() show it with the password masked."""

    secret: str = field(repr=False)

    def __post_init__(self) -> None:
        if not is_database_url(self.secret):
            raise WorkbookError(f"{self} is not a postgresql:// URL.")

    @property
    def passwords(self) -> list[str]:
        """The password as written and decoded (from user:password@ or ?password=)."""
        parts = urlsplit(self.secret)
        found = [parts.password] if parts.password else []
        found += [v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k == "password" and v]
        return [p for raw in found for p in dict.fromkeys((raw, unquote(raw)))]

    def masked(self, text: str) -> str:
        """text with every spelling of the password replaced by ***."""
        for password in sorted(self.passwords, key=len, reverse=True):
            text = text.replace(password, MASK)
        return text

    def __str__(self) -> str:
        parts = urlsplit(self.secret)
        netloc = parts.netloc
        if parts.password is not None:
            userinfo, host = netloc.rsplit("@", 1)
            netloc = f"{userinfo.split(':', 1)[0]}:{MASK}@{host}"
        query = re.sub(r"(^|&)password=[^&]*", rf"\1password={MASK}", parts.query)
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))

    @property
    def name(self) -> str:
        return str(self)

    def for_driver(self) -> str:
        """The URL libpq gets: postgres:// spelled postgresql://, a connect timeout unless given."""
        url = "postgresql" + self.secret[self.secret.index("://"):]
        if not any(k == "connect_timeout" for k, _ in parse_qsl(urlsplit(url).query)):
            url += ("&" if "?" in url else "?") + f"connect_timeout={CONNECT_TIMEOUT_S}"
        return url


def quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


class PostgresDatabase:
    """An open connection; names(), columns() and read() as the table loader asks."""

    kind = "table"

    def __init__(self, url: DatabaseUrl) -> None:
        self.url = url
        self.where = str(url)
        try:
            import adbc_driver_postgresql.dbapi as adbc
        except ImportError:      # a dependency; only a broken install lacks it
            raise WorkbookError("Reading PostgreSQL needs the package adbc-driver-postgresql: "
                                "pip install adbc-driver-postgresql") from None
        try:
            self.connection = adbc.connect(url.for_driver())
        except Exception as exc:
            raise WorkbookError(f"Could not connect to {self.where}: {self._said(exc)}") from None
        self._columns: dict[str, list[str]] = {}

    def __enter__(self) -> PostgresDatabase:
        return self

    def __exit__(self, *exc) -> None:
        self.connection.close()

    def _said(self, exc: Exception) -> str:
        """The driver's message, first line only, the password scrubbed."""
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return self.url.masked(text)

    def _query(self, sql: str) -> pa.Table:
        try:
            with self.connection.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetch_arrow_table()
        except Exception as exc:
            raise WorkbookError(f"{self.where}: the query failed: {self._said(exc)}") from None
        finally:
            try:
                self.connection.rollback()      # read only: leave no transaction open
            except Exception:
                pass                            # a broken connection: the query's error says why

    def names(self) -> list[str]:
        return self._query(RELATIONS).column(0).to_pylist()

    def columns(self, name: str) -> list[str]:
        if name not in self._columns:
            self._columns[name] = self._query(f"SELECT * FROM {quoted(name)} LIMIT 0").schema.names
        return self._columns[name]

    def read(self, name: str, columns: list[str], coded: Collection[str] = ()) -> pa.Table:
        """The columns, as the driver hands them over (`coded` is a hint Parquet can use)."""
        selected = ", ".join(map(quoted, columns)) or "NULL AS nothing"
        return self._query(f"SELECT {selected} FROM {quoted(name)}")
