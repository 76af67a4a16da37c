"""Hand-written baselines for `tsw bench`: the core metrics straight from landing files.

Both compute, for the same cells as the warehouse (every grouping of age_band, region, plan,
surface and, for violating_view_rate, policy_category; every day), with the same
knowledge-time rules (first ingested copy of an event, rows known at the build's knowledge
instant, a final day uses only rows ingested before its finalization instant) and the same
point-in-time segments (the profile copy in effect at the end of the day, age in completed
years):

    impressions, active_users, violating_view_rate, reports_per_10k_active_users

`duckdb_baseline` is what a careful analyst would write as one DuckDB script; `pandas_baseline`
is the notebook alternative. Neither validates bad input as thoroughly as staging does (they
drop what does not parse), which only makes them cheaper. Each returns a DataFrame with
columns metric_name, metric_date, age_band, region, plan, surface, policy_category,
numerator, denominator.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from tsw.paths import METRIC_REGISTRY_CSV, REFERENCE_SEEDS_DIR

SURFACES = ("home", "search", "recommendations", "social_feed", "comments", "messaging", "ai_dj", "ai_playlist", "podcast_page", "other")
SEGMENTS = ("age_band", "region", "plan", "surface")
AGE_BANDS = ((13, "under_13"), (16, "13_15"), (18, "16_17"), (25, "18_24"), (35, "25_34"))


def maturities() -> dict[str, int]:
    with open(METRIC_REGISTRY_CSV, newline="") as handle:
        return {row["metric_name"]: int(row["maturity_days"]) for row in csv.DictReader(handle)}


def groupings(columns: tuple[str, ...]) -> list[tuple[str, ...]]:
    sets: list[tuple[str, ...]] = [(), *((c,) for c in columns)]
    sets += [("age_band", c) for c in columns if c != "age_band"]
    return sets


def _files(landing: Path, table: str, kind: str) -> list[str]:
    return sorted(str(p) for p in (landing / table).glob(f"*.{kind}"))


def _relation(landing: Path, table: str, columns: list[str]) -> str:
    """All-text union of a landing table's Parquet and CSV files (only the needed columns)."""
    parts = []
    cols = ", ".join(f"cast({c} as varchar) as {c}" for c in columns)
    parquet = _files(landing, table, "parquet")
    if parquet:
        parts.append(f"select {cols} from read_parquet({parquet})")
    csvs = _files(landing, table, "csv")
    if csvs:
        parts.append(f"select {cols} from read_csv({csvs}, all_varchar = true, header = true)")
    if not parts:
        raise FileNotFoundError(f"no files for {table} under {landing}")
    return " union all ".join(parts)


def _ts(column: str) -> str:
    return f"timezone('UTC', try_cast({column} as timestamptz))"


def duckdb_baseline(landing: Path, as_of: date, *, memory_limit: str = "8GB", threads: int = 2) -> pd.DataFrame:
    m = maturities()
    k = (as_of + timedelta(days=1)).isoformat()
    con = duckdb.connect()
    con.execute(f"set memory_limit = '{memory_limit}'; set threads = {threads}; set preserve_insertion_order = false; set TimeZone = 'UTC'")
    con.execute(f"create temp table countries as select * from read_csv('{REFERENCE_SEEDS_DIR / 'ref_countries.csv'}', all_varchar = true)")
    surfaces = ", ".join(f"'{s}'" for s in SURFACES)
    con.execute(
        f"""
        create temp table imp as
        with raw as (
            select event_id, user_id, surface, {_ts('occurred_at')} as occurred_at, {_ts('ingested_at')} as ingested_at
            from ({_relation(landing, 'impressions', ['event_id', 'user_id', 'surface', 'occurred_at', 'ingested_at'])})
        ),
        usable as (
            select event_id, user_id, surface, cast(occurred_at as date) as d, ingested_at
            from raw
            where ingested_at < timestamp '{k}' and occurred_at < timestamp '{k}' and occurred_at >= timestamp '2006-01-01'
                and event_id is not null and user_id is not null and surface in ({surfaces})
        ),
        -- a window over every impression does not fit 8 GB at 100M rows: rank only repeated ids
        repeated as (
            select event_id from ({_relation(landing, 'impressions', ['event_id'])})
            where event_id is not null group by event_id having count(*) > 1
        )
        select * from usable where event_id not in (select event_id from repeated)
        union all
        select * from (
            select * from usable where event_id in (select event_id from repeated)
            qualify row_number() over (partition by event_id order by ingested_at) = 1
        )
        """
    )
    con.execute(
        f"""
        create temp table prof as
        with raw as (
            select user_id, plan, country_code, try_cast(birth_date as date) as birth_date,
                {_ts('valid_from')} as valid_from, {_ts('ingested_at')} as ingested_at
            from ({_relation(landing, 'user_profile_versions', ['user_id', 'plan', 'country_code', 'birth_date', 'valid_from', 'ingested_at'])})
        )
        select user_id, plan, country_code, birth_date, greatest(valid_from, ingested_at) as effective_at
        from raw where ingested_at < timestamp '{k}' and valid_from is not null and user_id is not null
        """
    )
    con.execute(
        f"""
        create temp table rep as
        with raw as (
            select report_id, reporter_id, surface, {_ts('reported_at')} as reported_at, {_ts('ingested_at')} as ingested_at
            from ({_relation(landing, 'user_reports', ['report_id', 'reporter_id', 'surface', 'reported_at', 'ingested_at'])})
        )
        select reporter_id as user_id, surface, cast(reported_at as date) as d, ingested_at
        from raw
        where ingested_at < timestamp '{k}' and reported_at < timestamp '{k}' and reported_at >= timestamp '2006-01-01'
            and report_id is not null and surface in ({surfaces})
        qualify row_number() over (partition by report_id order by ingested_at) = 1
        """
    )
    con.execute(
        f"""
        create temp table lab as
        with raw as (
            select label_id, event_id, try_cast(sampling_rate as double) as rate, try_cast(is_violating as boolean) as is_violating,
                policy_category, {_ts('labeled_at')} as labeled_at, {_ts('ingested_at')} as ingested_at
            from ({_relation(landing, 'prevalence_labels', ['label_id', 'event_id', 'sampling_rate', 'is_violating', 'policy_category', 'labeled_at', 'ingested_at'])})
        ), first_copy as (
            select * from raw
            where ingested_at < timestamp '{k}' and label_id is not null and rate > 0 and rate <= 1 and is_violating is not null
            qualify row_number() over (partition by label_id order by ingested_at) = 1
        )
        select l.*, i.user_id, i.surface, i.d, i.ingested_at as imp_ingested_at
        from first_copy as l join imp as i using (event_id)
        """
    )
    age = " ".join(
        f"when age < {limit} then '{band}'" for limit, band in AGE_BANDS
    )
    con.execute(
        f"""
        create temp table user_days as
        with days as (
            select distinct user_id, d from imp union select distinct user_id, d from rep
        ), in_effect as (
            select days.user_id, days.d, p.plan, p.country_code, p.birth_date
            from days asof left join prof as p
                on days.user_id = p.user_id and cast(days.d + 1 as timestamp) > p.effective_at
        ), aged as (
            select *,
                case when birth_date is null or birth_date < date '1900-01-01' or birth_date > d then null
                    else year(d) - year(birth_date) - case when (month(d), day(d)) < (month(birth_date), day(birth_date)) then 1 else 0 end
                end as age
            from in_effect
        )
        select a.user_id, a.d,
            case when age is null then 'unknown' {age} else '35_plus' end as age_band,
            coalesce(c.region, 'unknown') as region,
            coalesce(a.plan, 'unknown') as plan
        from aged as a left join countries as c on a.country_code = c.country_code
        """
    )
    results = []
    fin = lambda metric: f"ingested_at < cast(d + {m[metric] + 1} as timestamp)"  # noqa: E731
    con.execute(
        f"""
        create temp table uds as
        select i.user_id, i.d, i.surface, s.age_band, s.region, s.plan,
            count(*) filter (where {fin('impressions')}) as n_impressions
        from imp as i join user_days as s using (user_id, d)
        group by all
        """
    )
    con.execute("create temp table ud_active as select distinct user_id, d, age_band, region, plan from uds where n_impressions > 0")
    for cols in groupings(SEGMENTS):
        sel = ", ".join(f"{c}" if c in cols else f"'all' as {c}" for c in SEGMENTS)
        grp = ", ".join(("d", *cols))
        results.append(
            f"select 'impressions' as metric_name, d as metric_date, {sel}, 'all' as policy_category, "
            f"sum(n_impressions)::double as numerator, null::double as denominator from uds where n_impressions > 0 group by {grp}"
        )
        # distinct users are counted once, at the user-day (or user-day-surface) grain
        source = "uds where n_impressions > 0" if "surface" in cols else "ud_active"
        results.append(
            f"select 'active_users' as metric_name, d as metric_date, {sel}, 'all' as policy_category, "
            f"count(*)::double as numerator, null::double as denominator from {source} group by {grp}"
        )
    # reports per 10k: numerator by reporter cell (+ surface), denominator = all-surface active users of the cell
    con.execute(
        f"""
        create temp table rep_seg as
        select r.surface, r.d, s.age_band, s.region, s.plan from rep as r join user_days as s using (user_id, d)
        where r.{fin('reports_per_10k_active_users')}
        """
    )
    for cols in groupings(SEGMENTS):
        cell = [c for c in cols if c != "surface"]
        cell_sel = ", ".join(f"{c}" if c in cell else f"'all' as {c}" for c in ("age_band", "region", "plan"))
        num_sel = cell_sel + (", surface" if "surface" in cols else "")
        den_grp = ", ".join(("d", *cell))
        num_grp = ", ".join(("d", *cols))
        join = " and ".join(["n.d = a.d", *(f"n.{c} = a.{c}" for c in ("age_band", "region", "plan"))])
        surface = "n.surface" if "surface" in cols else "'all'"
        how = "join" if "surface" in cols else "left join"
        results.append(
            f"""select 'reports_per_10k_active_users' as metric_name, a.d as metric_date, a.age_band, a.region, a.plan,
                    {surface} as surface, 'all' as policy_category,
                    coalesce(n.numerator, 0)::double as numerator, a.active::double as denominator
                from (select {cell_sel}, d, count(*) as active from ud_active group by {den_grp}) as a
                {how} (select {num_sel}, d, count(*) as numerator from rep_seg group by {num_grp}) as n on {join}"""
        )
    # violating view rate: one label per impression (latest labeled_at, then larger label_id), weights 1/rate
    con.execute(
        f"""
        create temp table lab_seg as
        select l.surface, l.d, s.age_band, s.region, s.plan, l.is_violating, coalesce(l.policy_category, 'unknown') as policy_category,
            1 / l.rate as w
        from lab as l join user_days as s using (user_id, d)
        where l.{fin('violating_view_rate')} and l.imp_ingested_at < cast(l.d + {m['violating_view_rate'] + 1} as timestamp)
        qualify row_number() over (partition by l.event_id order by l.labeled_at desc, l.label_id desc) = 1
        """
    )
    for cols in groupings((*SEGMENTS, "policy_category")):
        base_cols = [c for c in cols if c != "policy_category"]
        sel = ", ".join(f"{c}" if c in base_cols else f"'all' as {c}" for c in SEGMENTS)
        grp = ", ".join(("d", *base_cols))
        if "policy_category" in cols:
            results.append(
                f"""select 'violating_view_rate' as metric_name, den.d as metric_date, den.age_band, den.region, den.plan, den.surface,
                        cat.policy_category, coalesce(num, 0) as numerator, den.denominator
                    from (select d, {sel}, sum(w) as denominator from lab_seg group by {grp}) as den
                    join (select d, {sel}, policy_category, sum(w) as num from lab_seg where is_violating group by {grp}, policy_category) as cat
                    using (d, age_band, region, plan, surface)"""
            )
        else:
            results.append(
                f"select 'violating_view_rate' as metric_name, d as metric_date, {sel}, 'all' as policy_category, "
                f"sum(w) filter (where is_violating) as numerator, sum(w) as denominator from lab_seg group by {grp}"
            )
    # One statement per part: a single 30-way `union all` of these aggregates deadlocked
    # DuckDB 1.4.5 at 100k users (all threads waiting, no progress).
    con.execute(f"create temp table cells as {results[0]}")
    for part in results[1:]:
        con.execute(f"insert into cells {part}")
    frame = con.execute("select * from cells").df()
    con.close()
    frame["numerator"] = frame["numerator"].fillna(0.0)
    return frame


def pandas_baseline(landing: Path, as_of: date) -> pd.DataFrame:
    """The notebook alternative: read the landing files into pandas and compute the same cells."""
    m = maturities()
    k = pd.Timestamp(as_of + timedelta(days=1))

    def read(table: str, columns: list[str]) -> pd.DataFrame:
        frames = [pd.read_parquet(p, columns=columns) for p in _files(landing, table, "parquet")]
        frames += [pd.read_csv(p, usecols=columns, dtype=str, keep_default_na=False, na_values=[""]) for p in _files(landing, table, "csv")]
        return pd.concat(frames, ignore_index=True)

    def ts(series: pd.Series) -> pd.Series:
        return pd.to_datetime(series, utc=True, errors="coerce", format="ISO8601").dt.tz_localize(None)

    imp = read("impressions", ["event_id", "user_id", "surface", "occurred_at", "ingested_at"])
    imp["occurred_at"], imp["ingested_at"] = ts(imp["occurred_at"]), ts(imp["ingested_at"])
    imp = imp[(imp["ingested_at"] < k) & (imp["occurred_at"] < k) & (imp["occurred_at"] >= pd.Timestamp("2006-01-01"))
              & imp["event_id"].notna() & imp["user_id"].notna() & imp["surface"].isin(SURFACES)]
    imp = imp.sort_values(["event_id", "ingested_at"]).drop_duplicates("event_id", keep="first")
    imp["d"] = imp["occurred_at"].dt.normalize()

    rep = read("user_reports", ["report_id", "reporter_id", "surface", "reported_at", "ingested_at"])
    rep["reported_at"], rep["ingested_at"] = ts(rep["reported_at"]), ts(rep["ingested_at"])
    rep = rep[(rep["ingested_at"] < k) & (rep["reported_at"] < k) & (rep["reported_at"] >= pd.Timestamp("2006-01-01"))
              & rep["report_id"].notna() & rep["surface"].isin(SURFACES)]
    rep = rep.sort_values(["report_id", "ingested_at"]).drop_duplicates("report_id", keep="first")
    rep = rep.rename(columns={"reporter_id": "user_id"})
    rep["d"] = rep["reported_at"].dt.normalize()

    prof = read("user_profile_versions", ["user_id", "plan", "country_code", "birth_date", "valid_from", "ingested_at"])
    prof["valid_from"], prof["ingested_at"] = ts(prof["valid_from"]), ts(prof["ingested_at"])
    prof = prof[(prof["ingested_at"] < k) & prof["valid_from"].notna() & prof["user_id"].notna()]
    prof["effective_at"] = prof[["valid_from", "ingested_at"]].max(axis=1)
    prof["birth_date"] = pd.to_datetime(prof["birth_date"], errors="coerce", format="%Y-%m-%d")

    days = pd.concat([imp[["user_id", "d"]], rep[["user_id", "d"]]]).drop_duplicates()
    days["end_of_day"] = days["d"] + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    seg = pd.merge_asof(
        days.sort_values("end_of_day"), prof.sort_values("effective_at")[["user_id", "effective_at", "plan", "country_code", "birth_date"]],
        left_on="end_of_day", right_on="effective_at", by="user_id", direction="backward", allow_exact_matches=True,
    )
    b, d = seg["birth_date"], seg["d"]
    before_birthday = (d.dt.month < b.dt.month) | ((d.dt.month == b.dt.month) & (d.dt.day < b.dt.day))
    age = d.dt.year - b.dt.year - before_birthday.astype(int)
    valid = b.notna() & (b >= pd.Timestamp("1900-01-01")) & (b <= d)
    band = np.select([~valid] + [age < limit for limit, _ in AGE_BANDS], ["unknown"] + [name for _, name in AGE_BANDS], "35_plus")
    countries = pd.read_csv(REFERENCE_SEEDS_DIR / "ref_countries.csv", dtype=str)
    seg["age_band"] = band
    seg = seg.merge(countries[["country_code", "region"]], on="country_code", how="left")
    seg["region"] = seg["region"].fillna("unknown")
    seg["plan"] = seg["plan"].fillna("unknown")
    seg = seg[["user_id", "d", "age_band", "region", "plan"]]

    def cutoff(frame: pd.DataFrame, metric: str, column: str = "ingested_at") -> pd.Series:
        return frame[column] < frame["d"] + pd.Timedelta(days=m[metric] + 1)

    imp3 = imp[cutoff(imp, "impressions")]
    uds = imp3.groupby(["user_id", "d", "surface"], observed=True).size().rename("n").reset_index().merge(seg, on=["user_id", "d"])
    out = []
    for cols in groupings(SEGMENTS):
        keys = ["d", *cols]
        agg = uds.groupby(keys, observed=True).agg(numerator=("n", "sum"), users=("user_id", "nunique")).reset_index()
        for c in SEGMENTS:
            if c not in cols:
                agg[c] = "all"
        out.append(agg.assign(metric_name="impressions", denominator=np.nan, policy_category="all")[
            ["metric_name", "d", *SEGMENTS, "policy_category", "numerator", "denominator"]])
        out.append(agg.assign(metric_name="active_users", numerator=agg["users"].astype(float), denominator=np.nan, policy_category="all")[
            ["metric_name", "d", *SEGMENTS, "policy_category", "numerator", "denominator"]])
    active_cells = uds[["user_id", "d", "age_band", "region", "plan"]].drop_duplicates()
    rep3 = rep[cutoff(rep, "reports_per_10k_active_users")].merge(seg, on=["user_id", "d"])
    for cols in groupings(SEGMENTS):
        cell = [c for c in cols if c != "surface"]
        den = active_cells.groupby(["d", *cell], observed=True).size().rename("denominator").reset_index()
        num = rep3.groupby(["d", *cols], observed=True).size().rename("numerator").reset_index()
        how = "left" if "surface" not in cols else "inner"
        agg = den.merge(num, on=["d", *cell], how=how)
        agg["numerator"] = agg["numerator"].fillna(0).astype(float)
        for c in SEGMENTS:
            if c not in cols:
                agg[c] = "all"
        out.append(agg.assign(metric_name="reports_per_10k_active_users", policy_category="all")[
            ["metric_name", "d", *SEGMENTS, "policy_category", "numerator", "denominator"]])
    lab = read("prevalence_labels", ["label_id", "event_id", "sampling_rate", "is_violating", "policy_category", "labeled_at", "ingested_at"])
    lab["labeled_at"], lab["ingested_at"] = ts(lab["labeled_at"]), ts(lab["ingested_at"])
    lab["rate"] = pd.to_numeric(lab["sampling_rate"], errors="coerce")
    lab["is_violating"] = lab["is_violating"].map({"true": True, "false": False})
    lab = lab[(lab["ingested_at"] < k) & lab["label_id"].notna() & (lab["rate"] > 0) & (lab["rate"] <= 1) & lab["is_violating"].notna()]
    lab = lab.sort_values(["label_id", "ingested_at"]).drop_duplicates("label_id", keep="first")
    lab = lab.merge(imp[["event_id", "user_id", "surface", "d", "ingested_at"]].rename(columns={"ingested_at": "imp_ingested_at"}), on="event_id")
    lab = lab[cutoff(lab, "violating_view_rate") & cutoff(lab, "violating_view_rate", "imp_ingested_at")]
    lab = lab.sort_values(["event_id", "labeled_at", "label_id"]).drop_duplicates("event_id", keep="last")
    lab = lab.merge(seg, on=["user_id", "d"])
    lab["w"] = 1 / lab["rate"]
    lab["wv"] = lab["w"].where(lab["is_violating"], 0.0)
    lab["policy_category"] = lab["policy_category"].fillna("unknown")
    for cols in groupings((*SEGMENTS, "policy_category")):
        base_cols = [c for c in cols if c != "policy_category"]
        den = lab.groupby(["d", *base_cols], observed=True).agg(denominator=("w", "sum"), numerator=("wv", "sum")).reset_index()
        if "policy_category" in cols:
            cat = lab[lab["is_violating"]].groupby(["d", *base_cols, "policy_category"], observed=True)["w"].sum().rename("cat").reset_index()
            den = den.drop(columns="numerator").merge(cat, on=["d", *base_cols]).rename(columns={"cat": "numerator"})
        else:
            den["policy_category"] = "all"
        for c in SEGMENTS:
            if c not in cols:
                den[c] = "all"
        out.append(den.assign(metric_name="violating_view_rate")[["metric_name", "d", *SEGMENTS, "policy_category", "numerator", "denominator"]])
    frame = pd.concat(out, ignore_index=True).rename(columns={"d": "metric_date"})
    frame["metric_date"] = frame["metric_date"].dt.date
    return frame
