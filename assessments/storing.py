"""Storing an evaluation in the database, set-based (issue 17: a province's half a million results
held in Python took 560–980 MB and three times the time of computing them).

An evaluation writes every result of the period into a temporary staging table, one indicator
after another: a metric that can say its rows as SQL (`engine.SqlMetric`) is copied with one
`INSERT … SELECT`, the others are streamed from their Python rows in batches (COPY on
PostgreSQL). Nothing of a period is held in memory. The staging table is then made the period's
stored results with three statements — delete the rows that changed or vanished, delete the
rows of subjects that moved into the evaluated region, insert the new and changed ones — so a
nightly re-run rewrites only what changed. The roll-ups are rebuilt with one `INSERT … SELECT`
from the stored results and a small table of region prefixes.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, TypeVar

from django.db import connection
from django.utils import timezone

from assessments.models import IndicatorResult, ResultRollup
from assessments.selectors import path_prefixes
from villages.models import Region, RegionLevel

if TYPE_CHECKING:
    from assessments.engine import Result
    from assessments.periods import Period

BATCH = 5000
T = TypeVar("T")
STAGE = "assessments_result_stage"
PREFIXES = "assessments_rollup_prefix"

# The staging table's columns, in order; the stored result adds the period and the time.
STAGE_COLUMNS = [
    "indicator_id",
    "subject_kind",
    "subject_id",
    "subject_label",
    "path",
    "township_id",
    "village_id",
    "household_id",
    "unit_id",
    "helper_id",
    "pairing_id",
    "value",
    "threshold",
    "met",
    "shortfall",
]
# What must be equal for a stored row to be kept as it is.
PAYLOAD = STAGE_COLUMNS[3:]
# The columns a metric's SELECT gives (engine.SqlMetric.select), in order.
SELECT_COLUMNS = [
    "subject_id",
    "subject_label",
    "path",
    "township_id",
    "village_id",
    "household_id",
    "unit_id",
    "helper_id",
    "pairing_id",
    "value",
    "threshold",
]

_TYPES = {
    "indicator_id": "bigint",
    "subject_kind": "varchar(20)",
    "subject_id": "bigint",
    "subject_label": "varchar(200)",
    "path": "varchar(255)",
    "township_id": "bigint",
    "village_id": "bigint",
    "household_id": "bigint",
    "unit_id": "bigint",
    "helper_id": "bigint",
    "pairing_id": "bigint",
    "value": "numeric(14, 2)",
    "threshold": "numeric(14, 2)",
    "met": "boolean",
    "shortfall": "numeric(14, 2)",
}

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _same() -> str:
    """Null-safe equality."""
    return "IS NOT DISTINCT FROM" if connection.vendor == "postgresql" else "IS"


def _temp_table(name: str, columns: dict[str, str]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_q(name)}")
        body = ", ".join(f"{_q(c)} {t}" for c, t in columns.items())
        tail = " ON COMMIT DROP" if connection.vendor == "postgresql" else ""
        cursor.execute(f"CREATE TEMPORARY TABLE {_q(name)} ({body}){tail}")


def _drop(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_q(name)}")


def copy_lines(table: str, columns: Sequence[str], lines: Iterable[str]) -> int:
    """Stream lines of COPY text into a table (PostgreSQL only), one COPY per BATCH lines: the
    lines may come from a generator that queries the same connection (a metric's rows), which it
    may not do while a COPY is in progress."""
    quoted = ", ".join(_q(c) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        for chunk in _batches(lines):
            with cursor.cursor.copy(f"COPY {_q(table)} ({quoted}) FROM STDIN") as copy:
                copy.write("\n".join(chunk) + "\n")
            count += len(chunk)
    return count


def _batches(items: Iterable[T]) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert_many(table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Insert tuples in batches with executemany (SQLite)."""
    sql = (
        f"INSERT INTO {_q(table)} ({', '.join(_q(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    count = 0
    with connection.cursor() as cursor:
        for batch in _batches(rows):
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def _nullable(value: int | None) -> str:
    return "\\N" if value is None else str(value)


def _copy_value(value: object) -> str:
    """A constant (period label, dates, time) in COPY text."""
    if isinstance(value, datetime.date):  # dates and aware datetimes
        return value.isoformat()
    return str(value)


class ResultStage:
    """Where an evaluation writes its results. Normally a staging table (a temporary table of
    this connection, dropped at the end of the transaction on PostgreSQL and by `close`
    everywhere) that `replace` then makes the period's stored results, keeping unchanged rows.
    When nothing is stored yet in the evaluated scope (a period's first evaluation) the results
    go straight into the stored table and `replace` has nothing left to do."""

    def __init__(
        self,
        *,
        period: Period,
        region_path: str = "",
        indicator_ids: Sequence[int] | None = None,
        keep_township_ids: Sequence[int] = (),
        now: datetime.datetime | None = None,
    ) -> None:
        self.period = period
        self.region_path = region_path
        self.indicator_ids = indicator_ids
        self.keep_township_ids = list(keep_township_ids)
        self.now = now or timezone.now()
        stored = IndicatorResult.objects.filter(period=period.label)
        if indicator_ids is not None:
            stored = stored.filter(indicator_id__in=list(indicator_ids))
        # A region run may meet rows of subjects that moved in: it always stages.
        self.direct = not region_path and not stored.exists()
        self.written = 0
        if self.direct:
            self.table = IndicatorResult._meta.db_table
            self.columns = ["period", "period_start", "period_end", *STAGE_COLUMNS, "computed_at"]
        else:
            self.table = STAGE
            self.columns = STAGE_COLUMNS
            _temp_table(STAGE, _TYPES)

    def close(self) -> None:
        if not self.direct:
            _drop(STAGE)

    def _around(self) -> tuple[list[object], list[object]]:
        """The constant values before and after a result's own columns."""
        if self.direct:
            p = self.period
            return [p.label, p.start, p.end], [self.now]
        return [], []

    # --- filled by the engine -----------------------------------------------------------------
    def write(self, indicator_id: int, results: Iterable[Result]) -> int:
        """Stream results computed in Python."""
        if connection.vendor == "postgresql":
            n = copy_lines(self.table, self.columns, self._lines(indicator_id, results))
            self.written += n
            return n
        before, after = self._around()
        rows = (
            (
                *before,
                indicator_id,
                r.row.subject_kind,
                r.row.subject_id,
                r.row.label,
                r.row.path,
                r.row.township_id,
                r.row.village_id,
                r.row.household_id,
                r.row.unit_id,
                r.row.helper_id,
                r.row.pairing_id,
                r.row.value,
                r.threshold,
                r.met,
                r.shortfall,
                *after,
            )
            for r in results
        )
        n = _insert_many(self.table, self.columns, rows)
        self.written += n
        return n

    def _lines(self, indicator_id: int, results: Iterable[Result]) -> Iterable[str]:
        esc = _COPY_ESCAPES
        before, after = self._around()
        head = "".join(f"{_copy_value(v)}\t" for v in before)
        tail = "".join(f"\t{_copy_value(v)}" for v in after)
        for r in results:
            row = r.row
            yield (
                f"{head}{indicator_id}\t{row.subject_kind}\t{row.subject_id}\t"
                f"{row.label.translate(esc)}\t{row.path}\t{_nullable(row.township_id)}\t"
                f"{_nullable(row.village_id)}\t{_nullable(row.household_id)}\t"
                f"{_nullable(row.unit_id)}\t{_nullable(row.helper_id)}\t"
                f"{_nullable(row.pairing_id)}\t{row.value}\t{r.threshold}\t"
                f"{'t' if r.met else 'f'}\t{r.shortfall}{tail}"
            )

    def insert_select(
        self,
        *,
        indicator_id: int,
        subject_kind: str,
        sql: str,
        params: Sequence[object],
        met_sql: str,
        shortfall_sql: str,
    ) -> int:
        """Copy a metric's SELECT (SELECT_COLUMNS, aliased `q`), judged by the engine's rule in
        SQL (`met_sql`, `shortfall_sql` over q.value and q.threshold)."""
        columns = ", ".join(_q(c) for c in self.columns)
        picked = ", ".join(f"q.{_q(c)}" for c in SELECT_COLUMNS)
        before, after = self._around()
        marks_before = "".join("%s, " for _ in before)
        marks_after = "".join(", %s" for _ in after)
        statement = (
            f"INSERT INTO {_q(self.table)} ({columns}) "
            f"SELECT {marks_before}%s, %s, {picked}, {met_sql}, {shortfall_sql}{marks_after} "
            f"FROM ({sql}) q"
        )
        with connection.cursor() as cursor:
            cursor.execute(statement, [*before, indicator_id, subject_kind, *after, *params])
            n = max(cursor.rowcount, 0)
        self.written += n
        return n

    # --- made the stored results --------------------------------------------------------------
    def replace(self) -> int:
        """Make the period's stored results (within the region, of the given indicators or of
        all) equal the stage; rows whose figures did not change are kept as they are. Results of
        the townships in `keep_township_ids` (periods locked after approval) are neither deleted
        nor rewritten. Returns the number of rows written."""
        if self.direct:
            if self.written > 50_000:
                analyze(IndicatorResult)
            return self.written
        period, region_path, now = self.period, self.region_path, self.now
        indicator_ids, keep_township_ids = self.indicator_ids, self.keep_township_ids
        result = _q(IndicatorResult._meta.db_table)
        stage = _q(STAGE)
        same = _same()

        def key_of(stage_alias: str) -> str:
            return " AND ".join(
                f"{stage_alias}.{_q(c)} = {result}.{_q(c)}"
                for c in ("indicator_id", "subject_kind", "subject_id")
            )

        key = key_of("s")
        payload = " AND ".join(f"s.{_q(c)} {same} {result}.{_q(c)}" for c in PAYLOAD)
        scope = [f"{result}.{_q('period')} = %s"]
        scope_params: list[object] = [period.label]
        if region_path:
            scope.append(f"{result}.{_q('path')} LIKE %s")
            scope_params.append(region_path + "%")  # region paths are digits and slashes
        if indicator_ids is not None:
            scope.append(
                f"{result}.{_q('indicator_id')} IN ({', '.join(['%s'] * len(indicator_ids))})"
            )
            scope_params.extend(indicator_ids)
        kept = ""
        kept_params: list[object] = []
        if keep_township_ids:
            marks = ", ".join(["%s"] * len(keep_township_ids))
            kept = f" AND ({result}.{_q('township_id')} IS NULL OR {result}.{_q('township_id')} NOT IN ({marks}))"
            kept_params = list(keep_township_ids)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"ANALYZE {stage}")
            else:
                cursor.execute(
                    f"CREATE INDEX {_q(STAGE + '_key')} ON {stage} "
                    f"({_q('indicator_id')}, {_q('subject_kind')}, {_q('subject_id')})"
                )
            # 1. Rows that changed or vanished.
            cursor.execute(
                f"DELETE FROM {result} WHERE {' AND '.join(scope)}{kept} AND NOT EXISTS "
                f"(SELECT 1 FROM {stage} s WHERE {key} AND {payload})",
                [*scope_params, *kept_params],
            )
            if region_path:
                # 2. A subject that moved into the region since the last run still has its row
                # outside it: remove that row, so the insert cannot collide with it.
                cursor.execute(
                    f"DELETE FROM {result} WHERE {result}.{_q('period')} = %s "
                    f"AND {result}.{_q('path')} NOT LIKE %s{kept} "
                    f"AND EXISTS (SELECT 1 FROM {stage} s WHERE {key})",
                    [period.label, scope_params[1], *kept_params],
                )
            # 3. What is left stored within the scope is unchanged: drop it from the stage, and
            # the locked townships' rows (they keep their stored figures), then insert the rest.
            # (An INSERT whose own target appears in a NOT EXISTS rescans the pages it is
            # writing: quadratic on PostgreSQL.)
            cursor.execute(
                f"DELETE FROM {stage} WHERE EXISTS (SELECT 1 FROM {result} "
                f"WHERE {result}.{_q('period')} = %s AND {key_of(stage)})",
                [period.label],
            )
            if keep_township_ids:
                marks = ", ".join(["%s"] * len(keep_township_ids))
                cursor.execute(
                    f"DELETE FROM {stage} WHERE {_q('township_id')} IN ({marks})",
                    list(keep_township_ids),
                )
            columns = ["period", "period_start", "period_end", *STAGE_COLUMNS, "computed_at"]
            picked = ", ".join(_q(c) for c in STAGE_COLUMNS)
            cursor.execute(
                f"INSERT INTO {result} ({', '.join(_q(c) for c in columns)}) "
                f"SELECT %s, %s, %s, {picked}, %s FROM {stage}",
                [period.label, period.start, period.end, now],
            )
            written = max(cursor.rowcount, 0)
        if written > 50_000:
            analyze(IndicatorResult)
        return written


def analyze(model) -> None:
    """Fresh planner statistics after a bulk change (PostgreSQL's autovacuum comes later; until
    then it planned the lagging list as if the table held one row)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {_q(model._meta.db_table)}")


def rollups_rebuild(*, period_label: str) -> int:
    """Count subjects and met subjects of every indicator for every region of the tree (and per
    unit within each region, down to a township) for one period, from its stored results: one
    `INSERT … SELECT` over the results grouped by path, joined with each path's region prefixes
    (a table of a few thousand rows, built from the distinct paths)."""
    result = _q(IndicatorResult._meta.db_table)
    rollup = _q(ResultRollup._meta.db_table)
    regions = {
        path: (rid, parent_id, level)
        for path, rid, parent_id, level in Region.objects.exclude(
            level=RegionLevel.GROUP
        ).values_list("path", "id", "parent_id", "level")
    }
    paths = (
        IndicatorResult.objects.filter(period=period_label)
        .exclude(path="")
        .order_by()
        .values_list("path", flat=True)
        .distinct()
    )
    prefix_rows: list[tuple[object, ...]] = []
    for path in paths.iterator(chunk_size=20000):
        for prefix in path_prefixes(path):
            region = regions.get(prefix)
            if region is None:
                continue
            # Units are ranked down to a township; a village has one or two units at most.
            prefix_rows.append(
                (path, prefix, region[0], region[1], region[2] != RegionLevel.VILLAGE)
            )
    _temp_table(
        PREFIXES,
        {
            "path": "varchar(255)",
            "region_path": "varchar(255)",
            "region_id": "bigint",
            "parent_id": "bigint",
            "by_unit": "boolean",
        },
    )
    try:
        columns = ["path", "region_path", "region_id", "parent_id", "by_unit"]
        if connection.vendor == "postgresql":
            copy_lines(
                PREFIXES,
                columns,
                (
                    f"{p}\t{rp}\t{rid}\t{_nullable(parent)}\t{'t' if by_unit else 'f'}"  # type: ignore[arg-type]
                    for p, rp, rid, parent, by_unit in prefix_rows
                ),
            )
        else:
            _insert_many(PREFIXES, columns, prefix_rows)
        met_count = f"SUM(CASE WHEN {result}.{_q('met')} THEN 1 ELSE 0 END)"
        grouped = (
            f"SELECT {_q('indicator_id')}, {_q('path')}, {_q('unit_id')}, COUNT(*) AS n, "
            f"{met_count} AS met_n, SUM({_q('value')}) AS vs FROM {result} "
            f"WHERE {_q('period')} = %s AND {_q('path')} <> '' "
            f"GROUP BY {_q('indicator_id')}, {_q('path')}, {_q('unit_id')}"
        )
        target = ", ".join(
            _q(c)
            for c in (
                "period",
                "indicator_id",
                "region_id",
                "parent_id",
                "path",
                "unit_id",
                "subjects",
                "met",
                "value_sum",
            )
        )
        region_cols = "g.indicator_id, m.region_id, m.parent_id, m.region_path"
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {rollup} WHERE {_q('period')} = %s", [period_label])
            cursor.execute(
                f"WITH g AS ({grouped}) "
                f"INSERT INTO {rollup} ({target}) "
                f"SELECT %s, {region_cols}, NULL, SUM(g.n), SUM(g.met_n), SUM(g.vs) "
                f"FROM g JOIN {_q(PREFIXES)} m ON m.path = g.path GROUP BY {region_cols} "
                f"UNION ALL "
                f"SELECT %s, {region_cols}, g.unit_id, SUM(g.n), SUM(g.met_n), SUM(g.vs) "
                f"FROM g JOIN {_q(PREFIXES)} m ON m.path = g.path "
                f"WHERE g.unit_id IS NOT NULL AND m.by_unit "
                f"GROUP BY {region_cols}, g.unit_id",
                [period_label, period_label, period_label],
            )
            written = max(cursor.rowcount, 0)
    finally:
        _drop(PREFIXES)
    if written > 50_000:
        analyze(ResultRollup)
    return written
