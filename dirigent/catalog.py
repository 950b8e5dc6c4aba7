"""The catalog: stems, the files that hold them and the files that failed, in one DuckDB file
with a versioned schema. One process writes; any number read when no writer holds it."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from dirigent.analysis.descriptors import DESCRIPTOR_VERSION, SIZE
from dirigent.errors import CatalogError

# Forward migrations, applied in order; a version is never edited once released.
MIGRATIONS: tuple[tuple[int, str], ...] = (
    (
        1,
        """
        CREATE SEQUENCE stem_ids START 1;
        CREATE TABLE stems (
            id INTEGER PRIMARY KEY DEFAULT nextval('stem_ids'),
            hash VARCHAR NOT NULL UNIQUE,
            path VARCHAR NOT NULL,
            format VARCHAR NOT NULL,
            sample_rate INTEGER NOT NULL,
            channels INTEGER NOT NULL,
            frames BIGINT NOT NULL,
            duration DOUBLE NOT NULL,
            peak_dbfs DOUBLE,
            rms_dbfs DOUBLE,
            loudness_lufs DOUBLE,
            is_loop BOOLEAN NOT NULL,
            onsets INTEGER NOT NULL,
            bpm DOUBLE,
            bpm_confidence DOUBLE NOT NULL,
            bpm_source VARCHAR,
            key VARCHAR,
            key_confidence DOUBLE NOT NULL,
            key_source VARCHAR,
            category VARCHAR,
            quality DOUBLE NOT NULL,
            quality_reasons VARCHAR[] NOT NULL,
            analysis_version INTEGER NOT NULL,
            added_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        CREATE TABLE files (
            path VARCHAR PRIMARY KEY,
            stem_id INTEGER NOT NULL,
            size BIGINT NOT NULL,
            mtime_ns BIGINT NOT NULL,
            seen_at TIMESTAMP NOT NULL
        );
        CREATE INDEX files_stem ON files (stem_id);
        CREATE TABLE ingest_errors (
            path VARCHAR PRIMARY KEY,
            size BIGINT NOT NULL,
            mtime_ns BIGINT NOT NULL,
            reason VARCHAR NOT NULL,
            failed_at TIMESTAMP NOT NULL
        );
    """,
    ),
    (
        2,
        """
        CREATE TABLE features (
            stem_id INTEGER PRIMARY KEY,
            version INTEGER NOT NULL,
            descriptors FLOAT[] NOT NULL
        );
        CREATE TABLE embeddings (
            stem_id INTEGER NOT NULL,
            backend VARCHAR NOT NULL,
            vector FLOAT[] NOT NULL,
            PRIMARY KEY (stem_id, backend)
        );
        CREATE SEQUENCE query_ids START 1;
        CREATE TABLE queries (
            id INTEGER PRIMARY KEY DEFAULT nextval('query_ids'),
            session VARCHAR NOT NULL,
            prompt VARCHAR NOT NULL,
            params VARCHAR NOT NULL,
            backend VARCHAR NOT NULL,
            latency_ms DOUBLE NOT NULL,
            asked_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        CREATE TABLE results (
            query_id INTEGER NOT NULL,
            rank INTEGER NOT NULL,
            stem_id INTEGER NOT NULL,
            score DOUBLE NOT NULL,
            PRIMARY KEY (query_id, rank)
        );
        CREATE TABLE feedback (
            stem_id INTEGER NOT NULL,
            action VARCHAR NOT NULL CHECK (action IN ('like', 'skip')),
            query_id INTEGER,
            session VARCHAR NOT NULL,
            given_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
    """,
    ),
    (
        3,
        """
        CREATE TABLE sessions (
            id VARCHAR PRIMARY KEY,
            started_at TIMESTAMP NOT NULL,
            ended_at TIMESTAMP,
            backend VARCHAR NOT NULL,
            listen VARCHAR NOT NULL,
            pid INTEGER NOT NULL,
            stems INTEGER NOT NULL
        );
        ALTER TABLE queries ADD COLUMN client VARCHAR;
        ALTER TABLE feedback ADD COLUMN client VARCHAR;
        CREATE TABLE transport (
            session VARCHAR NOT NULL,
            happened_at TIMESTAMP NOT NULL,
            client VARCHAR NOT NULL,
            what VARCHAR NOT NULL,
            value DOUBLE[] NOT NULL
        );
        CREATE TABLE errors (
            session VARCHAR NOT NULL,
            happened_at TIMESTAMP NOT NULL,
            client VARCHAR NOT NULL,
            address VARCHAR NOT NULL,
            reason VARCHAR NOT NULL
        );
    """,
    ),
    (
        4,
        """
        CREATE TABLE mutations (
            stem_id INTEGER PRIMARY KEY,
            parent_id INTEGER NOT NULL,
            params VARCHAR NOT NULL,
            seed BIGINT NOT NULL,
            tempo DOUBLE NOT NULL,
            layer_stem INTEGER,
            session VARCHAR,
            rendered_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
    """,
    ),
    (
        5,
        """
        CREATE TABLE separations (
            stem_id INTEGER PRIMARY KEY,
            track VARCHAR NOT NULL,
            source VARCHAR NOT NULL,
            model VARCHAR NOT NULL,
            separated_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
    """,
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]
MAX_STEM_ID = 2**31 - 1  # stems.id is an INTEGER

# Columns a new stem row carries, with their SQL types (for bulk inserts).
STEM_COLUMNS: dict[str, str] = {
    "hash": "VARCHAR",
    "path": "VARCHAR",
    "format": "VARCHAR",
    "sample_rate": "INTEGER",
    "channels": "INTEGER",
    "frames": "BIGINT",
    "duration": "DOUBLE",
    "peak_dbfs": "DOUBLE",
    "rms_dbfs": "DOUBLE",
    "loudness_lufs": "DOUBLE",
    "is_loop": "BOOLEAN",
    "onsets": "INTEGER",
    "bpm": "DOUBLE",
    "bpm_confidence": "DOUBLE",
    "bpm_source": "VARCHAR",
    "key": "VARCHAR",
    "key_confidence": "DOUBLE",
    "key_source": "VARCHAR",
    "category": "VARCHAR",
    "quality": "DOUBLE",
    "quality_reasons": "VARCHAR[]",
    "analysis_version": "INTEGER",
}
FEATURE_COLUMNS = {"stem_id": "INTEGER", "version": "INTEGER", "descriptors": "FLOAT[]"}
FILE_COLUMNS = {
    "path": "VARCHAR",
    "stem_id": "INTEGER",
    "size": "BIGINT",
    "mtime_ns": "BIGINT",
    "seen_at": "TIMESTAMP",
}
EMBEDDING_COLUMNS = {"stem_id": "INTEGER", "backend": "VARCHAR", "vector": "FLOAT[]"}
RESULT_COLUMNS = {"query_id": "INTEGER", "rank": "INTEGER", "stem_id": "INTEGER", "score": "DOUBLE"}
QUERY_COLUMNS = {
    "id": "INTEGER",
    "session": "VARCHAR",
    "prompt": "VARCHAR",
    "params": "VARCHAR",
    "backend": "VARCHAR",
    "latency_ms": "DOUBLE",
    "asked_at": "TIMESTAMP",
    "client": "VARCHAR",
}
FEEDBACK_COLUMNS = {
    "stem_id": "INTEGER",
    "action": "VARCHAR",
    "query_id": "INTEGER",
    "session": "VARCHAR",
    "given_at": "TIMESTAMP",
    "client": "VARCHAR",
}
TRANSPORT_COLUMNS = {
    "session": "VARCHAR",
    "happened_at": "TIMESTAMP",
    "client": "VARCHAR",
    "what": "VARCHAR",
    "value": "DOUBLE[]",
}
EVENT_ERROR_COLUMNS = {
    "session": "VARCHAR",
    "happened_at": "TIMESTAMP",
    "client": "VARCHAR",
    "address": "VARCHAR",
    "reason": "VARCHAR",
}
ERROR_COLUMNS = {
    "path": "VARCHAR",
    "size": "BIGINT",
    "mtime_ns": "BIGINT",
    "reason": "VARCHAR",
    "failed_at": "TIMESTAMP",
}
# a path that begins with the parameter, in any case: a superset of the paths under a root
_BEGINS_WITH = "starts_with(lower(path), lower(?))"


@dataclass
class LogBatch:
    """Rows for the event-log tables, in the column order of their ``*_COLUMNS``."""

    queries: list[tuple[Any, ...]] = field(default_factory=list)
    results: list[tuple[Any, ...]] = field(default_factory=list)
    feedback: list[tuple[Any, ...]] = field(default_factory=list)
    transport: list[tuple[Any, ...]] = field(default_factory=list)
    errors: list[tuple[Any, ...]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.queries) + len(self.feedback) + len(self.transport) + len(self.errors)


@dataclass(frozen=True)
class FileState:
    """What the catalog last saw of a path."""

    size: int
    mtime_ns: int


@dataclass(frozen=True)
class StemFilter:
    """Filters of ``dirigent stems``: all given conditions must hold."""

    category: str | None = None
    bpm_range: tuple[float, float] | None = None
    key: str | None = None
    loops: bool | None = None


def bulk_insert(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: dict[str, str],
    rows: Sequence[Sequence[Any]],
    conflict: str = "",
) -> None:
    """Insert ``rows`` in one statement: each column travels as one typed list and is unnested
    (row-by-row ``executemany`` costs milliseconds per row)."""
    if not rows:
        return
    lists = [list(col) for col in zip(*rows, strict=True)]
    selects = ", ".join(f"unnest(?::{t}[])" for t in columns.values())
    verb = "INSERT OR REPLACE" if conflict == "replace" else "INSERT"
    tail = f" ON CONFLICT {conflict}" if conflict and conflict != "replace" else ""
    con.execute(f"{verb} INTO {table} ({', '.join(columns)}) SELECT {selects}{tail}", lists)


def _connect(
    path: Path, read_only: bool, wait_s: float, config: dict[str, Any]
) -> duckdb.DuckDBPyConnection:
    """Open ``path``; while another process holds it, retry for up to ``wait_s`` seconds (the
    daemon holds the file only for the moments it writes its log)."""
    deadline = time.monotonic() + wait_s
    pause = 0.01
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=config)
        except duckdb.IOException as e:
            if "lock" not in str(e).lower():
                raise CatalogError(f"cannot open catalog {path}: {e}") from e
            if time.monotonic() >= deadline:
                raise CatalogError(
                    f"catalog {path} is held by another Dirigent process: {e}"
                ) from e
        except duckdb.Error as e:
            raise CatalogError(f"cannot open catalog {path}: {e}") from e
        time.sleep(pause)
        pause = min(pause * 2, 0.2)


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """Version of the schema in ``con``'s database; 0 for an empty one."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchone()
    if not exists or not exists[0]:
        return 0
    row = con.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply pending migrations, each in its own transaction; returns the versions applied."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version "
        "(version INTEGER PRIMARY KEY, applied_at TIMESTAMP)"
    )
    current = schema_version(con)
    if current > SCHEMA_VERSION:
        raise CatalogError(
            f"catalog schema v{current} is newer than this Dirigent (v{SCHEMA_VERSION}): upgrade"
        )
    applied = []
    for version, sql in MIGRATIONS:
        if version <= current:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute("INSERT INTO schema_version VALUES (?, current_timestamp)", [version])
            con.execute("COMMIT")
        except duckdb.Error as e:
            con.execute("ROLLBACK")
            raise CatalogError(f"migration to v{version} failed: {e}") from e
        applied.append(version)
    return applied


class Catalog:
    """A DuckDB catalog file. Writable catalogs are migrated on open; read-only ones must be
    current (``dirigent migrate``). ``create=False`` refuses to start a new catalog where there is
    none (a command that only reads and logs). Opening waits up to ``wait_s`` for another process
    to let go; ``threads`` caps DuckDB's worker threads (0: one per core; the daemon's brief
    writes use 1)."""

    def __init__(
        self,
        path: Path,
        *,
        read_only: bool = False,
        create: bool = True,
        wait_s: float = 5.0,
        threads: int = 0,
    ) -> None:
        self.path = path
        self.read_only = read_only
        if (read_only or not create) and not path.exists():
            raise CatalogError(f"no catalog at {path}: run `dirigent ingest` first")
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        self.con = _connect(path, read_only, wait_s, {"threads": threads} if threads else {})
        if read_only:
            version = schema_version(self.con)
            if version != SCHEMA_VERSION:
                self.con.close()
                raise CatalogError(
                    f"catalog {path} has schema v{version}, this Dirigent needs "
                    f"v{SCHEMA_VERSION}: run `dirigent migrate`"
                )
        else:
            migrate(self.con)

    def close(self) -> None:
        """Checkpoint and close."""
        self.con.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- what the ingest needs to know --------------------------------------------------

    def file_states(self, under: Sequence[str] = ("",)) -> dict[str, FileState]:
        """Catalogued file paths with their size and mtime: those beginning with one of
        ``under``, in any case (a superset of the files under those roots; "": all)."""
        return self._states("files", under)

    def error_states(self, under: Sequence[str] = ("",)) -> dict[str, FileState]:
        """Paths that failed, with the size and mtime they failed at (``under``: as for
        :meth:`file_states`)."""
        return self._states("ingest_errors", under)

    def _states(self, table: str, under: Sequence[str]) -> dict[str, FileState]:
        query = f"SELECT path, size, mtime_ns FROM {table} WHERE {_BEGINS_WITH}"
        return {p: FileState(s, m) for p, s, m in self._rows_under(query, under)}

    def _rows_under(self, query: str, under: Sequence[str], *params: Any) -> list[Any]:
        """Rows of ``query`` for each root of ``under``, bound to its last parameter (the
        ``?`` of :data:`_BEGINS_WITH`) after ``params``. Both sides are lowered by DuckDB: its
        lower() is not Python's ("İ", a final sigma)."""
        return [
            row
            for root in dict.fromkeys(under)
            for row in self.con.execute(query, [*params, root]).fetchall()
        ]

    def hashes(self) -> set[str]:
        """Every catalogued content hash (fetched as a column: 70 ms at 100k stems)."""
        return set(self.con.execute("SELECT hash FROM stems").fetchnumpy()["hash"].tolist())

    def catalogued(self, digest: str) -> bool:
        """Whether audio with this content hash is catalogued (1.5 ms at 100k stems: for a
        few files)."""
        return (
            self.con.execute("SELECT 1 FROM stems WHERE hash = ?", [digest]).fetchone() is not None
        )

    def _ids_of(self, hashes: list[str]) -> dict[str, int]:
        """Content hash -> stem id, for those of ``hashes`` that are catalogued."""
        rows = self.con.execute(
            "SELECT hash, id FROM stems WHERE hash IN (SELECT unnest(?))", [hashes]
        ).fetchall()
        return dict(rows)

    # --- writes: each call is one transaction, so a kill leaves whole rows or none ---------

    def write(
        self,
        stems: Sequence[dict[str, Any]],
        links: Sequence[tuple[str, str, int, int]],
        errors: Sequence[tuple[str, int, int, str]],
    ) -> dict[str, int]:
        """Insert new ``stems`` (dicts keyed by :data:`STEM_COLUMNS`), link file paths to stems by
        hash (``(path, hash, size, mtime_ns)``), record failed files; returns hash -> stem id."""
        now = dt.datetime.now()
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            known = {}
            bulk_insert(
                con,
                "stems",
                STEM_COLUMNS,
                [[s[c] for c in STEM_COLUMNS] for s in stems],
                "(hash) DO NOTHING",
            )
            wanted = sorted({h for _, h, _, _ in links})
            if wanted:
                known = self._ids_of(wanted)
                unknown = set(wanted) - set(known)
                if unknown:
                    raise CatalogError(f"files link to {len(unknown)} unknown stem hashes")
                bulk_insert(
                    con,
                    "features",
                    FEATURE_COLUMNS,
                    [
                        (known[s["hash"]], DESCRIPTOR_VERSION, s["descriptors"])
                        for s in stems
                        if s["hash"] in known
                    ],
                    "(stem_id) DO NOTHING",
                )
                bulk_insert(
                    con,
                    "files",
                    FILE_COLUMNS,
                    [(p, known[h], size, mtime, now) for p, h, size, mtime in links],
                    "replace",
                )
                con.execute(
                    "DELETE FROM ingest_errors WHERE path IN (SELECT unnest(?))",
                    [[p for p, _, _, _ in links]],
                )
            if errors:
                bulk_insert(
                    con,
                    "ingest_errors",
                    ERROR_COLUMNS,
                    [(p, size, mtime, reason, now) for p, size, mtime, reason in errors],
                    "replace",
                )
                con.execute(
                    "DELETE FROM files WHERE path IN (SELECT unnest(?))",
                    [[p for p, _, _, _ in errors]],
                )
            con.execute("COMMIT")
        except CatalogError:
            con.execute("ROLLBACK")
            raise
        except duckdb.Error as e:
            con.execute("ROLLBACK")
            raise CatalogError(f"catalog write failed: {e}") from e
        return known

    def forget(self, paths: Iterable[str]) -> int:
        """Drop files (and error rows) for paths that no longer exist; returns how many."""
        gone = sorted(set(paths))
        if not gone:
            return 0
        self.con.execute("BEGIN TRANSACTION")
        self.con.execute("DELETE FROM files WHERE path IN (SELECT unnest(?))", [gone])
        self.con.execute("DELETE FROM ingest_errors WHERE path IN (SELECT unnest(?))", [gone])
        self.con.execute("COMMIT")
        return len(gone)

    def stale_analyses(self, version: int, under: Sequence[str] = ("",)) -> set[str]:
        """Own paths of live stems analysed by an analysis older than ``version`` (``under``:
        as for :meth:`file_states`)."""
        query = (
            f"SELECT path FROM stems WHERE analysis_version < ? AND {_BEGINS_WITH} "
            "AND id IN (SELECT stem_id FROM files)"
        )
        return {r[0] for r in self._rows_under(query, under, version)}

    def update_analyses(self, stems: Sequence[dict[str, Any]]) -> None:
        """Replace the analysis of stems already catalogued (matched by hash; id, path,
        category and feedback stay) and drop their vectors, which that analysis made."""
        if not stems:
            return
        facts = [c for c in STEM_COLUMNS if c not in ("hash", "path", "category")]
        assignments = ", ".join(f"{c} = n.{c}" for c in facts)
        selects = ", ".join(f"unnest(?::{STEM_COLUMNS[c]}[]) AS {c}" for c in ["hash", *facts])
        lists = [[s[c] for s in stems] for c in ["hash", *facts]]
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(
                f"UPDATE stems SET {assignments} FROM (SELECT {selects}) n "
                "WHERE stems.hash = n.hash",
                lists,
            )
            ids = self._ids_of([s["hash"] for s in stems])
            con.execute(
                "DELETE FROM embeddings WHERE stem_id IN (SELECT unnest(?))", [list(ids.values())]
            )
            bulk_insert(
                con,
                "features",
                FEATURE_COLUMNS,
                [(ids[s["hash"]], DESCRIPTOR_VERSION, s["descriptors"]) for s in stems],
                "replace",
            )
            con.execute("COMMIT")
        except duckdb.Error as e:
            con.execute("ROLLBACK")
            raise CatalogError(f"cannot store the new analyses: {e}") from e

    def orphaned_canonicals(self) -> list[tuple[int, str]]:
        """Stems whose recorded path is gone but that still have a file: (id, new path)."""
        return self.con.execute("""
            SELECT s.id, min(f.path) FROM stems s JOIN files f ON f.stem_id = s.id
            WHERE s.path NOT IN (SELECT path FROM files)
            GROUP BY s.id ORDER BY s.id
        """).fetchall()

    def move(self, stem_id: int, path: str, category: str | None) -> None:
        """Make ``path`` the stem's own path (after a move or rename) with its category; a
        new category drops the stem's vectors (made with the old one: they are made anew)."""
        self.con.execute(
            "DELETE FROM embeddings WHERE stem_id = ? AND stem_id IN "
            "(SELECT id FROM stems WHERE category IS DISTINCT FROM ?)",
            [stem_id, category],
        )
        self.con.execute(
            "UPDATE stems SET path = ?, category = ? WHERE id = ?", [path, category, stem_id]
        )

    # --- reads ---------------------------------------------------------------------------

    def stems(self, where: StemFilter = StemFilter()) -> list[dict[str, Any]]:
        """Stems that still have a file on disk, oldest first, as dicts with a ``copies`` count."""
        clauses: list[str] = []
        params: list[Any] = []
        if where.category:
            clauses.append("s.category = ?")
            params.append(where.category)
        if where.bpm_range:
            clauses.append("s.bpm BETWEEN ? AND ?")
            params.extend(where.bpm_range)
        if where.key:
            clauses.append("s.key = ?")
            params.append(where.key)
        if where.loops is not None:
            clauses.append("s.is_loop = ?")
            params.append(where.loops)
        sql = """
            SELECT s.id, s.*  EXCLUDE (id), count(f.path) AS copies
            FROM stems s JOIN files f ON f.stem_id = s.id
            {where}
            GROUP BY ALL ORDER BY s.id
        """.format(where=("WHERE " + " AND ".join(clauses)) if clauses else "")
        cursor = self.con.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def duplicates(self) -> list[tuple[str, str]]:
        """(duplicate path, the stem's own path) for every extra copy of the same audio."""
        return self.con.execute("""
            SELECT f.path, s.path FROM files f JOIN stems s ON s.id = f.stem_id
            WHERE f.path <> s.path ORDER BY f.path
        """).fetchall()

    def errors(self) -> list[dict[str, Any]]:
        """Files that could not be catalogued, with the reason."""
        cursor = self.con.execute(
            "SELECT path, reason, size, failed_at FROM ingest_errors ORDER BY path"
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def counts(self) -> dict[str, int]:
        """Numbers of stems (with a file), files and errors."""
        row = self.con.execute("""
            SELECT (SELECT count(DISTINCT stem_id) FROM files),
                   (SELECT count(*) FROM files),
                   (SELECT count(*) FROM ingest_errors)
        """).fetchone() or (0, 0, 0)
        return {"stems": row[0], "files": row[1], "errors": row[2]}

    # --- what search needs -----------------------------------------------------------------

    def library_state(self, backend: str) -> str:
        """A fingerprint of the live stems and their stored features and vectors; it changes
        whenever an index of ``backend`` built before would be stale."""
        row = self.con.execute(
            """
            SELECT count(*), coalesce(sum(s.id), 0), coalesce(max(s.id), 0),
                   (SELECT count(*) FROM features), (SELECT count(*) FROM embeddings
                    WHERE backend = ?), (SELECT coalesce(sum(hash(path)), 0) FROM stems)
            FROM stems s WHERE s.id IN (SELECT stem_id FROM files)
            """,
            [backend],
        ).fetchone() or (0, 0, 0, 0, 0, 0)
        return ":".join(map(str, row))

    def stem_columns(self) -> dict[str, np.ndarray]:
        """Live stems, ordered by id, as columns: id, path, category ('' if none), is_loop,
        duration, bpm (NaN if none), key ('' if none), quality, loudness (LUFS, NaN if none),
        descriptor_version (0 if none). Sorted here: DuckDB's ORDER BY would cost a third of
        the query at 100k stems."""
        table = self.con.execute(
            """
            SELECT s.id, s.path, coalesce(s.category, '') AS category, s.is_loop, s.duration,
                   coalesce(s.bpm, 'NaN'::DOUBLE) AS bpm, coalesce(s.key, '') AS key, s.quality,
                   coalesce(s.loudness_lufs, 'NaN'::DOUBLE) AS loudness,
                   coalesce(f.version, 0) AS descriptor_version
            FROM stems s LEFT JOIN features f ON f.stem_id = s.id
            WHERE s.id IN (SELECT stem_id FROM files)
            """
        ).fetchnumpy()
        order = np.argsort(table["id"], kind="stable")
        return {name: column[order] for name, column in table.items()}

    def descriptor_matrix(self, ids: np.ndarray) -> np.ndarray:
        """Stored descriptors (n, SIZE) of stems ``ids`` (ascending), in that order."""
        found, descriptors = self._descriptors(ids)
        if found.size != ids.size:
            raise CatalogError(f"{ids.size - found.size} stems have no stored descriptors")
        return descriptors

    def current_descriptors(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(those of stems ``ids`` whose stored descriptors are this version's, ascending; the
        descriptors, (n, SIZE)): stems analysed by an older version have none yet."""
        return self._descriptors(ids, DESCRIPTOR_VERSION)

    def _descriptors(
        self, ids: np.ndarray, version: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(those of stems ``ids`` with stored descriptors, of ``version`` where given,
        ascending; the descriptors, (n, SIZE))."""
        same, params = (
            ("", [ids.tolist()])
            if version is None
            else ("version = ? AND ", [version, ids.tolist()])
        )
        table = self.con.execute(
            f"SELECT stem_id, descriptors FROM features WHERE {same}"
            "stem_id IN (SELECT unnest(?)) ORDER BY stem_id",
            params,
        ).fetchnumpy()
        found = table["stem_id"].astype(np.int64)
        if not found.size:
            return found, np.zeros((0, SIZE), np.float32)
        return found, np.stack(list(table["descriptors"])).astype(np.float32)

    def vector_matrix(self, backend: str, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(ids that have a ``backend`` vector, their vectors) among stems ``ids`` (ascending).

        All of the backend's vectors are read and the asked ones picked here: at 100k stems,
        handing DuckDB the ids to filter and sort by cost three times as long. They are joined
        end to end and cut into rows (twice as fast as stacking 100k arrays), their lengths
        checked first."""
        table = self.con.execute(
            "SELECT stem_id, vector, len(vector) AS dim FROM embeddings WHERE backend = ?",
            [backend],
        ).fetchnumpy()
        stored = table["stem_id"].astype(np.int64)
        rows = np.flatnonzero(np.isin(stored, ids))
        rows = rows[np.argsort(stored[rows], kind="stable")]
        if not rows.size:
            return stored[rows], np.zeros((0, 0), np.float32)
        dims = np.unique(table["dim"][rows])
        if dims.size > 1:
            raise CatalogError(
                f"vectors of {backend} differ in length ({', '.join(map(str, dims))}): "
                f"the catalog {self.path} is damaged"
            )
        joined = np.concatenate(table["vector"][rows]).astype(np.float32, copy=False)
        return stored[rows], joined.reshape(rows.size, int(dims[0]))

    def set_features(self, rows: Sequence[tuple[int, int, list[float]]]) -> None:
        """Store (stem id, descriptor version, descriptors), replacing older ones."""
        bulk_insert(self.con, "features", FEATURE_COLUMNS, rows, "replace")

    def set_vectors(
        self, backend: str, ids: Sequence[int], vectors: np.ndarray, replace_all: bool
    ) -> None:
        """Store vectors of ``backend`` (``name@version``; all of them anew when
        ``replace_all``, which also drops the vectors of the backend's other versions)."""
        family = backend.split("@")[0]
        self.con.execute("BEGIN TRANSACTION")
        try:
            if replace_all:
                self.con.execute(
                    "DELETE FROM embeddings WHERE backend IN (?, ?) OR backend LIKE ?",
                    [backend, family, family + "@%"],
                )
            bulk_insert(
                self.con,
                "embeddings",
                EMBEDDING_COLUMNS,
                [(int(i), backend, v.tolist()) for i, v in zip(ids, vectors, strict=True)],
                "replace",
            )
            self.con.execute("COMMIT")
        except duckdb.Error as e:
            self.con.execute("ROLLBACK")
            raise CatalogError(f"cannot store {backend} vectors: {e}") from e

    def log_query(
        self,
        session: str,
        prompt: str,
        params: str,
        backend: str,
        latency_ms: float,
        results: Sequence[tuple[int, int, float]],
    ) -> int:
        """Record a query and its (rank, stem id, score) results; returns the query id."""
        self.con.execute("BEGIN TRANSACTION")
        row = self.con.execute(
            "INSERT INTO queries (session, prompt, params, backend, latency_ms) "
            "VALUES (?, ?, ?, ?, ?) RETURNING id",
            [session, prompt, params, backend, latency_ms],
        ).fetchone()
        query_id = int(row[0]) if row else 0
        bulk_insert(
            self.con,
            "results",
            RESULT_COLUMNS,
            [(query_id, rank, stem, score) for rank, stem, score in results],
        )
        self.con.execute("COMMIT")
        return query_id

    def add_feedback(self, stem_id: int, action: str, query_id: int | None, session: str) -> None:
        """Record a like or a skip."""
        if action not in ("like", "skip"):
            raise CatalogError(f"feedback action {action!r} must be like or skip")
        known = self.con.execute("SELECT count(*) FROM stems WHERE id = ?", [stem_id]).fetchone()
        if not known or not known[0]:
            raise CatalogError(f"no stem with id {stem_id}")
        self.con.execute(
            "INSERT INTO feedback (stem_id, action, query_id, session) VALUES (?, ?, ?, ?)",
            [stem_id, action, query_id, session],
        )

    def feedback_by_prompt(self) -> dict[str, list[tuple[int, str]]]:
        """All feedback, any session, by the prompt of its query (folded: case, spaces)."""
        rows = self.con.execute(
            """
            SELECT q.prompt, f.stem_id, f.action FROM feedback f JOIN queries q ON q.id = f.query_id
            ORDER BY f.given_at
            """
        ).fetchall()
        out: dict[str, list[tuple[int, str]]] = {}
        for prompt, stem_id, action in rows:
            out.setdefault(" ".join(prompt.lower().split()), []).append((stem_id, action))
        return out

    def prompt_of(self, query_id: int) -> str | None:
        """The prompt of a logged query."""
        row = self.con.execute("SELECT prompt FROM queries WHERE id = ?", [query_id]).fetchone()
        return str(row[0]) if row else None

    def last_query(self, session: str) -> int | None:
        """Id of the session's latest query."""
        row = self.con.execute(
            "SELECT max(id) FROM queries WHERE session = ?", [session]
        ).fetchone()
        return int(row[0]) if row and row[0] is not None else None

    def ever_returned(self) -> set[int]:
        """Stems that some search has returned before."""
        return {r[0] for r in self.con.execute("SELECT DISTINCT stem_id FROM results").fetchall()}

    # --- the daemon's event log ------------------------------------------------------------

    def reserve_query_ids(self, n: int) -> range:
        """Take ``n`` query ids from the shared sequence, so the daemon numbers its queries
        without a round trip to disk and never collides with a CLI search."""
        first, last = self.con.execute(  # the ids stay in DuckDB: only the ends come out
            "SELECT min(v), max(v) FROM (SELECT nextval('query_ids') AS v FROM range(?))", [n]
        ).fetchone() or (0, -1)
        if last - first + 1 != n:
            raise CatalogError(f"{self.path}: query ids {first}..{last} are not {n} in a row")
        return range(first, first + n)

    def open_session(self, session: str, backend: str, listen: str, pid: int) -> None:
        """Record the start of a daemon session."""
        stems = self.counts()["stems"]
        self.con.execute(
            "INSERT INTO sessions VALUES (?, current_timestamp, NULL, ?, ?, ?, ?)",
            [session, backend, listen, pid, stems],
        )

    def close_session(self, session: str) -> None:
        """Record the end of a daemon session."""
        self.con.execute("UPDATE sessions SET ended_at = current_timestamp WHERE id = ?", [session])

    def write_log(self, batch: LogBatch) -> None:
        """Store a batch of daemon events in one transaction."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            bulk_insert(self.con, "queries", QUERY_COLUMNS, batch.queries, "DO NOTHING")
            bulk_insert(self.con, "results", RESULT_COLUMNS, batch.results, "DO NOTHING")
            bulk_insert(self.con, "feedback", FEEDBACK_COLUMNS, batch.feedback)
            bulk_insert(self.con, "transport", TRANSPORT_COLUMNS, batch.transport)
            bulk_insert(self.con, "errors", EVENT_ERROR_COLUMNS, batch.errors)
            self.con.execute("COMMIT")
        except duckdb.Error as e:
            self.con.execute("ROLLBACK")
            raise CatalogError(f"cannot write the event log: {e}") from e

    def recent_queries(self, n: int) -> list[dict[str, Any]]:
        """The latest ``n`` queries, newest last, with their top result."""
        cursor = self.con.execute(
            """
            SELECT * FROM (
                SELECT q.id, q.asked_at, q.session, q.client, q.prompt, q.latency_ms,
                       (SELECT count(*) FROM results r WHERE r.query_id = q.id) AS results,
                       (SELECT s.path FROM results r JOIN stems s ON s.id = r.stem_id
                        WHERE r.query_id = q.id AND r.rank = 1) AS top
                FROM queries q ORDER BY q.id DESC LIMIT ?
            ) ORDER BY id
            """,
            [n],
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def sessions(self) -> list[dict[str, Any]]:
        """Daemon sessions, oldest first, with how much each logged."""
        cursor = self.con.execute(
            """
            SELECT s.*,
                   (SELECT count(*) FROM queries q WHERE q.session = s.id) AS queries,
                   (SELECT count(*) FROM feedback f WHERE f.session = s.id) AS feedback,
                   (SELECT count(*) FROM errors e WHERE e.session = s.id) AS errors
            FROM sessions s ORDER BY s.started_at
            """
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def session_events(self, session: str) -> list[tuple[dt.datetime, str, str, str]]:
        """What happened in a session, in order: (time, client, kind, text)."""
        rows = self.con.execute(
            """
            SELECT asked_at, client, 'query',
                   format('#{} "{}" -> {}', id, prompt, coalesce((
                       SELECT string_agg(format('{}:{}', r.rank, r.stem_id), ' ' ORDER BY r.rank)
                       FROM results r WHERE r.query_id = queries.id), '(nothing)'))
            FROM queries WHERE session = $1
            UNION ALL
            SELECT given_at, client, action,
                   format('stem {} (query {})', stem_id, coalesce(query_id::VARCHAR, '-'))
            FROM feedback WHERE session = $1
            UNION ALL
            SELECT happened_at, client, 'transport', format('{} {}', what, value) FROM transport
            WHERE session = $1
            UNION ALL
            SELECT happened_at, client, 'error', format('{}: {}', address, reason) FROM errors
            WHERE session = $1
            UNION ALL
            SELECT rendered_at, '', 'render',
                   format('stem {} from {} {} seed {}', stem_id, parent_id, params, seed)
            FROM mutations WHERE session = $1
            ORDER BY 1
            """,
            [session],
        ).fetchall()
        return [(r[0], r[1] or "", r[2], r[3]) for r in rows]

    # --- rendered stems ----------------------------------------------------------------------

    def stem_at(self, path: str) -> dict[str, Any] | None:
        """The stem a catalogued file holds: id, bpm, key, duration, is_loop."""
        cursor = self.con.execute(
            """
            SELECT s.id, s.bpm, s.key, s.duration, s.is_loop FROM files f
            JOIN stems s ON s.id = f.stem_id WHERE f.path = ?
            """,
            [path],
        )
        row = cursor.fetchone()
        return dict(zip([d[0] for d in cursor.description], row, strict=True)) if row else None

    def source_of(self, stem_id: int) -> dict[str, Any] | None:
        """What a render needs of a stem a file still holds: id, path, bpm, is_loop,
        loudness_lufs; None for no such stem."""
        cursor = self.con.execute(
            """
            SELECT id, path, bpm, is_loop, loudness_lufs FROM stems
            WHERE id = ? AND id IN (SELECT stem_id FROM files)
            """,
            [stem_id],
        )
        row = cursor.fetchone()
        return dict(zip([d[0] for d in cursor.description], row, strict=True)) if row else None

    def add_mutation(
        self,
        stem_id: int,
        parent_id: int,
        params: str,
        seed: int,
        tempo: float,
        layer_stem: int | None,
        session: str | None,
    ) -> None:
        """Record how a rendered stem was made from its parent (so it re-renders identically)."""
        self.con.execute(
            "INSERT OR REPLACE INTO mutations (stem_id, parent_id, params, seed, tempo, "
            "layer_stem, session) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [stem_id, parent_id, params, seed, tempo, layer_stem, session],
        )

    def mutation_of(self, stem_id: int) -> dict[str, Any] | None:
        """How a rendered stem was made, or None for a stem from the library."""
        cursor = self.con.execute("SELECT * FROM mutations WHERE stem_id = ?", [stem_id])
        row = cursor.fetchone()
        return dict(zip([d[0] for d in cursor.description], row, strict=True)) if row else None

    def add_separation(self, stem_id: int, track: str, source: str, model: str) -> None:
        """Record that a stem is the ``source`` part of ``track`` (separated by ``model``)."""
        self.con.execute(
            "INSERT OR REPLACE INTO separations (stem_id, track, source, model) "
            "VALUES (?, ?, ?, ?)",
            [stem_id, track, source, model],
        )

    def separations_of(self, track: str) -> dict[str, int]:
        """The stems separated from ``track``: source -> stem id."""
        rows = self.con.execute(
            "SELECT source, stem_id FROM separations WHERE track = ?", [track]
        ).fetchall()
        return {str(source): int(stem_id) for source, stem_id in rows}
