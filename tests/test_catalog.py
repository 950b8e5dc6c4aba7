"""The DuckDB catalog: migrations, one writer, reads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest

from dirigent.catalog import SCHEMA_VERSION, Catalog, migrate, schema_version
from dirigent.errors import CatalogError


def test_new_catalog_is_migrated_once(tmp_path: Path) -> None:
    path = tmp_path / "db" / "stems.duckdb"
    with Catalog(path) as catalog:
        assert schema_version(catalog.con) == SCHEMA_VERSION
        assert migrate(catalog.con) == []
    with Catalog(path, read_only=True) as catalog:
        assert catalog.counts() == {"stems": 0, "files": 0, "errors": 0}


def test_read_only_needs_an_existing_current_catalog(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="run `dirigent ingest` first"):
        Catalog(tmp_path / "none.duckdb", read_only=True)
    old = tmp_path / "old.duckdb"
    duckdb.connect(str(old)).close()
    with pytest.raises(CatalogError, match="dirigent migrate"):
        Catalog(old, read_only=True)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.duckdb"
    with Catalog(path) as catalog:
        catalog.con.execute("INSERT INTO schema_version VALUES (999, current_timestamp)")
    with pytest.raises(CatalogError, match="newer than this Dirigent"):
        Catalog(path)


def test_second_writer_gets_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "held.duckdb"
    Catalog(path).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, sys; c = duckdb.connect({str(path)!r}); print('held', flush=True);"
            " sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(CatalogError, match="held by another Dirigent process"):
            Catalog(path)
    finally:
        holder.communicate("")


def test_write_is_all_or_nothing(tmp_path: Path) -> None:
    with Catalog(tmp_path / "c.duckdb") as catalog:
        with pytest.raises(CatalogError):
            # a link to a hash that has no stem cannot be written; nothing of the batch stays
            catalog.write([], [("/a.wav", "nohash", 1, 1)], [("/b.wav", 1, 1, "bad")])
        assert catalog.counts() == {"stems": 0, "files": 0, "errors": 0}


def test_vectors_come_back_for_the_stems_asked_that_have_them(served_config: Any) -> None:
    with Catalog(served_config.db) as catalog:
        ids = np.sort(catalog.stem_columns()["id"].astype(np.int64))
        vectors = np.arange(2 * 3, dtype=np.float32).reshape(2, 3)
        catalog.set_vectors("test@1", [int(ids[3]), int(ids[1])], vectors, replace_all=False)
        found, got = catalog.vector_matrix("test@1", ids)
        np.testing.assert_array_equal(found, ids[[1, 3]])  # ascending, the rest left out
        np.testing.assert_array_equal(got, vectors[::-1])
        found, got = catalog.vector_matrix("test@1", ids[[0, 3]])
        assert found.tolist() == [ids[3]] and got.tolist() == [vectors[0].tolist()]
        found, got = catalog.vector_matrix("test@1", ids[[0, 2]])
        assert found.shape == (0,) and got.shape == (0, 0)
        # vectors are joined end to end and cut into rows: rows of two lengths are refused
        catalog.set_vectors("test@1", [int(ids[0])], np.ones((1, 4), np.float32), replace_all=False)
        with pytest.raises(CatalogError, match="differ in length"):
            catalog.vector_matrix("test@1", ids)


def test_a_move_that_changes_the_category_drops_the_vectors_made_with_the_old_one(
    served_config: Any,
) -> None:
    with Catalog(served_config.db) as catalog:
        table = catalog.stem_columns()
        ids = table["id"].astype(np.int64)
        assert table["category"][1] != "fx"
        catalog.set_vectors("test@1", ids[:2].tolist(), np.ones((2, 3), np.float32), False)
        for n in range(2):  # the first keeps its category, the second gets another
            category = str(table["category"][n]) or None
            catalog.move(int(ids[n]), f"/moved/{n}.wav", category if n == 0 else "fx")
        assert catalog.vector_matrix("test@1", ids)[0].tolist() == [ids[0]]
        assert catalog.stem_columns()["category"][1] == "fx"


def test_query_ids_are_reserved_in_blocks_that_no_later_reservation_overlaps(
    tmp_path: Path,
) -> None:
    with Catalog(tmp_path / "c.duckdb") as catalog:
        first = catalog.reserve_query_ids(1000)
        second = catalog.reserve_query_ids(3)
    assert len(first) == 1000 and len(second) == 3 and second.start == first.stop
    with Catalog(tmp_path / "c.duckdb") as catalog:  # opened again, as by a CLI search
        assert catalog.reserve_query_ids(1).start == second.stop
