"""The synthetic platform: users, their daily activity, moderation, AI and evaluation.

Generation is day by day. Impressions (the big table) are written as each day is made;
the other tables are small enough to keep as numeric arrays until the end. Every random
draw comes from a numpy Generator seeded by (seed, stream, day), so the output depends
only on the arguments.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from tsw.contract import load_contract, seed_properties_yaml
from tsw.generate import params as P
from tsw.generate import text
from tsw.generate.output import NULL_TS, TableSink, applicable_reasons

DAY = text.DAY
HOUR = 3600
NO_BIRTH = -(10**9)
NEVER = np.iinfo(np.int64).max // 4

_STREAMS = {name: i for i, name in enumerate((
    "users", "profiles", "content", "experiment", "day", "impressions", "labels", "reports", "messages",
    "ai", "decisions", "appeals", "evals", "interventions", "duplicates", "bad", "misc",
))}


def _delays(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds between an event and its ingestion: mostly minutes, some hours, a few days late."""
    kind = rng.choice(4, size=n, p=[0.88, 0.09, 0.023, 0.007])
    return np.select(
        [kind == 0, kind == 1, kind == 2],
        [rng.exponential(90, n), rng.uniform(0.5 * HOUR, 36 * HOUR, n), rng.uniform(1.5 * DAY, 10 * DAY, n)],
        rng.uniform(10.2 * DAY, 15 * DAY, n),
    ).astype(np.int64) + 1


def _offsets(rng: np.random.Generator, n: int, pipeline: bool = False) -> np.ndarray:
    weights = text.PIPELINE_OFFSET_WEIGHTS if pipeline else text.EVENT_OFFSET_WEIGHTS
    return rng.choice(len(text.OFFSETS), size=n, p=weights / weights.sum()).astype(np.int8)


def _pick(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    cumulative = np.cumsum(weights / weights.sum())
    return np.minimum(np.searchsorted(cumulative, rng.random(n), side="right"), len(weights) - 1)


def _zipf_ranks(u: np.ndarray, n: int, exponent: float = P.CONTENT_POPULARITY_EXPONENT) -> np.ndarray:
    """Ranks 0..n-1 with P(rank k) roughly proportional to (k+1)^-exponent (inverse of the continuous CDF)."""
    a = 1.0 - exponent
    ranks = (u * ((n + 1) ** a - 1.0) + 1.0) ** (1.0 / a) - 1.0
    return np.minimum(ranks.astype(np.int64), n - 1)


def _times_of_day(rng: np.random.Generator, n: int) -> np.ndarray:
    return _pick(rng, P.HOUR_PROFILE, n) * HOUR + rng.integers(0, HOUR, n)


@dataclass
class Window:
    start: date
    days: int

    @property
    def s0(self) -> int:
        return text.epoch_seconds(self.start)

    @property
    def knowledge(self) -> int:
        return self.s0 + self.days * DAY

    @property
    def as_of(self) -> date:
        return self.start + timedelta(days=self.days - 1)

    def day_at(self, share: float) -> int:
        return max(1, min(self.days - 2, int(round(share * self.days))))


class Cols:
    """Accumulates numeric columns of one table across days."""

    def __init__(self) -> None:
        self.parts: dict[str, list[np.ndarray]] = {}

    def add(self, **columns: np.ndarray) -> None:
        for name, values in columns.items():
            self.parts.setdefault(name, []).append(np.asarray(values))

    def get(self) -> dict[str, np.ndarray]:
        return {name: np.concatenate(values) for name, values in self.parts.items()}


class Generator:
    def __init__(self, out_dir: Path, *, layout: str, file_format: str, seed: int, users: int, days: int,
                 start_date: date, bad_rate: float, progress: bool, activity_exponent: float = 0.0) -> None:
        if layout not in ("seeds", "landing"):
            raise ValueError("layout must be 'seeds' or 'landing'")
        if file_format not in ("csv", "parquet", "mixed"):
            raise ValueError("file_format must be csv, parquet or mixed")
        if users < 20 or days < 7:
            raise ValueError("need at least 20 users and 7 days")
        if layout == "seeds" and file_format != "csv":
            raise ValueError("the seeds layout is CSV only")
        self.out = Path(out_dir)
        self.layout, self.file_format = layout, file_format
        self.seed, self.n, self.bad_rate, self.progress = seed, users, bad_rate, progress
        if activity_exponent < 0:
            raise ValueError("activity_exponent must be >= 0")
        self.activity_exponent = float(activity_exponent)
        self.w = Window(start_date, days)
        self.contract = load_contract()
        self.serial = [0]
        self.sinks: dict[str, TableSink] = {}

    def rng(self, stream: str, day: int = 0) -> np.random.Generator:
        return np.random.default_rng([self.seed, _STREAMS[stream], day])

    # ------------------------------------------------------------------------------ chunks --

    def chunk(self, name: str, values: dict[str, pa.Array], *, ing: np.ndarray, ts: dict[str, np.ndarray],
              unknown_ref: np.ndarray | None = None, copy: np.ndarray | None = None, day: int = 0) -> pa.Table:
        """A table's rows as contract-ordered text plus the hidden bookkeeping columns (see output.py)."""
        table = self.contract[name]
        n = len(ing)
        columns = {c: values[c] for c in table.column_names if c != "ingested_at"}
        rng = self.rng("misc", 100_000 + 1_000 * list(self.contract).index(name) + day)
        columns["ingested_at"] = text.timestamps(ing, _offsets(rng, n, pipeline=True))
        out = {c: columns[c] for c in table.column_names}
        for column in table.columns:
            if column.data_type == "timestamp" and column.name != "ingested_at":
                out[f"_ts_{column.name}"] = pa.array(np.asarray(ts.get(column.name, np.full(n, NULL_TS)), dtype=np.int64))
        out["_ing"] = pa.array(np.asarray(ing, dtype=np.int64))
        out["_evt"] = pa.array(np.asarray(ts[table.event_time], dtype=np.int64))
        out["_copy"] = pa.array(np.zeros(n, bool) if copy is None else np.asarray(copy, bool))
        out["_bad"] = pa.array(np.zeros(n, bool))
        out["_unknown_ref"] = pa.array(np.zeros(n, bool) if unknown_ref is None else np.asarray(unknown_ref, bool))
        return pa.table(out)

    def ts(self, seconds: np.ndarray, rng: np.random.Generator, null: np.ndarray | None = None) -> pa.Array:
        return text.timestamps(seconds, _offsets(rng, len(seconds)), null=null)

    def bad_counts(self, name: str, n_rows: int, rng: np.random.Generator, per_day: bool = False) -> dict[str, int]:
        reasons = applicable_reasons(self.contract[name])
        if per_day:
            return {r: int(rng.binomial(n_rows, self.bad_rate / len(reasons))) for r in reasons}
        minimum = 3 if n_rows >= 1000 else 2
        each = max(minimum, int(round(self.bad_rate * n_rows / len(reasons))))
        return {r: each for r in reasons}

    def finish_table(self, name: str, chunk: pa.Table, *, duplicates: bool = True) -> None:
        sink = self.sinks[name]
        rng = self.rng("duplicates", _STREAMS["misc"] * 100 + list(self.contract).index(name))
        if duplicates:
            chunk = sink.add_duplicates(chunk, rng, P.DUPLICATE_RATE, minimum=2 if chunk.num_rows >= 20 else 0)
        chunk = sink.add_bad_rows(chunk, self.rng("bad", list(self.contract).index(name)),
                                  self.bad_counts(name, chunk.num_rows, rng), self.serial)
        parts = 2 if self.file_format == "mixed" else 1
        sink.write_split(chunk, parts)

    # ---------------------------------------------------------------------------- population --

    def make_users(self) -> None:
        rng, n, w = self.rng("users"), self.n, self.w
        self.weight = rng.lognormal(0.0, P.ACTIVITY_SIGMA, n)
        self.p_active = np.clip(P.ACTIVE_BASE * self.weight**0.5, 0.01, 0.97)
        self.lam = P.IMPRESSIONS_BASE * self.weight**0.8
        self.ghost = np.zeros(n, bool)
        self.ghost[rng.choice(n, size=max(2, int(round(n * P.GHOST_USER_SHARE))), replace=False)] = True
        in_window = (rng.random(n) < P.SIGNUP_IN_WINDOW_SHARE) & ~self.ghost
        t2012 = text.epoch_seconds(date(2012, 1, 1))
        self.created = np.where(
            in_window,
            w.s0 + rng.integers(0, (w.days - 1) * DAY, n),
            t2012 + rng.integers(0, w.s0 - t2012 - DAY, n),
        )
        # Nobody opens an account before turning 8 (a birth date corrected later may still say otherwise).
        self.draw_births()
        earliest = (np.where(self.birth0 == NO_BIRTH, 0, self.birth0) + int(8 * 365.2425)) * DAY
        late = (self.birth0 != NO_BIRTH) & (self.created < earliest)
        self.created = np.where(late, np.minimum(earliest + rng.integers(0, 3 * 365 * DAY, n), w.knowledge - 2 * DAY), self.created)
        self.platform = _pick(rng, P.PLATFORM_MIX, n)
        self.user_ing = self.created + _delays(rng, n)
        visible = ~self.ghost
        idx = np.flatnonzero(visible)
        values = {
            "user_id": text.ids("u", idx),
            "created_at": self.ts(self.created[idx], rng),
            "signup_platform": text.codes(P.PLATFORMS, self.platform[idx]),
        }
        self.users_chunk = self.chunk("users", values, ing=self.user_ing[idx], ts={"created_at": self.created[idx]})

    def draw_births(self) -> None:
        rng, n, w = self.rng("profiles", 1), self.n, self.w
        band0 = _pick(rng, P.AGE_BAND_MIX, n)
        birth = np.full(n, NO_BIRTH, dtype=np.int64)
        start_day = text.day_number(w.start)
        for b, (lo, hi) in enumerate(P.AGE_BAND_YEARS):
            sel = band0 == b
            age_days = rng.uniform(lo * 365.2425, hi * 365.2425, sel.sum())
            birth[sel] = start_day - age_days.astype(np.int64)
        self.band0, self.birth0 = band0, birth.copy()
        odd = rng.random(n)
        birth[odd < 0.003] = text.day_number(date(1899, 12, 31))   # outside [1900-01-01, day]: unknown
        birth[(odd >= 0.003) & (odd < 0.005)] = text.day_number(date(2031, 1, 1))
        self.birth_declared = birth

    def make_profiles(self) -> None:
        rng, n, w = self.rng("profiles"), self.n, self.w
        band0, birth = self.band0, self.birth_declared
        start_day = text.day_number(w.start)
        plan = _pick(rng, P.PLAN_MIX, n)
        country = _pick(rng, P.COUNTRY_WEIGHTS, n)
        managed = np.where(band0 == 0, rng.random(n) < 0.9, (band0 == 1) & (rng.random(n) < 0.1))
        has = ~self.ghost & (rng.random(n) >= P.NO_PROFILE_SHARE)
        # Up to three versions per user: the initial one and up to two changes inside the window.
        valid = np.full((n, 3), NEVER, dtype=np.int64)
        ing = np.full((n, 3), NEVER, dtype=np.int64)
        plans = np.tile(plan[:, None], 3)
        countries = np.tile(country[:, None], 3)
        births = np.tile(birth[:, None], 3)
        manageds = np.tile(managed[:, None], 3)
        valid[has, 0] = self.created[has]
        ing[has, 0] = np.maximum(self.user_ing[has], self.created[has]) + rng.integers(0, 60, has.sum())
        first_change = has & (rng.random(n) < P.PROFILE_CHANGE_SHARE)
        second_change = first_change & (rng.random(n) < 0.2)
        end = w.knowledge - HOUR
        t1 = np.maximum(self.created, w.s0) + HOUR + (rng.random(n) * (end - np.maximum(self.created, w.s0) - HOUR)).astype(np.int64)
        t2 = t1 + DAY + (rng.random(n) * np.maximum(end - t1 - DAY, 0)).astype(np.int64)
        second_change &= t2 < end
        self.corrections = 0
        for k, change, when in ((1, first_change, t1), (2, second_change, t2)):
            plans[:, k], countries[:, k], births[:, k], manageds[:, k] = plans[:, k - 1], countries[:, k - 1], births[:, k - 1], manageds[:, k - 1]
            kind = _pick(rng, P.PROFILE_CHANGE_KIND_MIX, n)
            new_plan = _pick(rng, P.PLAN_MIX, n)
            new_country = _pick(rng, P.COUNTRY_WEIGHTS, n)
            # Age assurance mostly finds minors who declared an adult age; some get a first birth date.
            corrected = start_day - rng.uniform(10 * 365.2425, 17.9 * 365.2425, n).astype(np.int64)
            corrected = np.where(rng.random(n) < 0.7, corrected, births[:, k] + rng.integers(-3 * 365, 3 * 365, n))
            corrected = np.where(births[:, k] == NO_BIRTH, start_day - rng.integers(14 * 365, 40 * 365, n), corrected)
            plans[:, k] = np.where(change & (kind == 0), new_plan, plans[:, k])
            countries[:, k] = np.where(change & (kind == 1), new_country, countries[:, k])
            births[:, k] = np.where(change & (kind == 2), corrected, births[:, k])
            self.corrections += int((change & (kind == 2)).sum())
            valid[change, k] = when[change]
            ing[change, k] = when[change] + _delays(rng, int(change.sum()))
        self.prof_eff = np.where(valid == NEVER, NEVER, np.maximum(valid, ing))
        self.prof_birth = births
        by = births.astype("datetime64[D]")
        self.prof_birth_md = np.where(
            births == NO_BIRTH, 0, (by.astype("datetime64[M]").astype(np.int64) % 12 + 1) * 100
            + (by - by.astype("datetime64[M]")).astype(np.int64) + 1,
        )
        self.prof_birth_y = by.astype("datetime64[Y]").astype(np.int64) + 1970
        rows_u, rows_k = np.nonzero(valid != NEVER)
        values = {
            "user_id": text.ids("u", rows_u),
            "valid_from": self.ts(valid[rows_u, rows_k], rng),
            "plan": text.codes(P.PLANS, plans[rows_u, rows_k]),
            "country_code": text.codes(P.COUNTRY_CODES, countries[rows_u, rows_k]),
            "birth_date": text.dates(births[rows_u, rows_k], null=births[rows_u, rows_k] == NO_BIRTH),
            "is_managed_account": text.booleans(manageds[rows_u, rows_k]),
        }
        self.profiles_chunk = self.chunk(
            "user_profile_versions", values, ing=ing[rows_u, rows_k], ts={"valid_from": valid[rows_u, rows_k]},
        )
        self.profile_rows = {"users_without_profile": int((~has & ~self.ghost).sum()), "birth_date_corrections": self.corrections}

    def bands_on(self, t: int) -> np.ndarray:
        """Each user's age band on window day t, by the warehouse's rule (profile in effect at day end)."""
        end = self.w.s0 + (t + 1) * DAY
        eff = np.where(self.prof_eff < end, self.prof_eff, -1)
        which = eff.argmax(axis=1)
        has = eff.max(axis=1) >= 0
        rows = np.arange(self.n)
        birth = self.prof_birth[rows, which]
        day = self.w.start + timedelta(days=t)
        md = day.month * 100 + day.day
        age = day.year - self.prof_birth_y[rows, which] - (md < self.prof_birth_md[rows, which])
        today = text.day_number(day)
        known = has & (birth != NO_BIRTH) & (birth >= text.day_number(date(1900, 1, 1))) & (birth <= today)
        band = np.select([age < 13, age < 16, age < 18, age < 25, age < 35], [0, 1, 2, 3, 4], 5)
        return np.where(known, band, P.UNKNOWN_BAND).astype(np.int8)

    def make_content(self) -> None:
        rng, w = self.rng("content"), self.w
        c = max(400, int(self.n * 0.5))
        self.n_content = c
        ctype = _pick(rng, P.CONTENT_TYPE_MIX, c)
        self.content_type = ctype
        self.popularity_rank = rng.permutation(c)  # 0 = most popular
        user_made = np.isin(ctype, [P.CONTENT_TYPES.index(t) for t in P.USER_CONTENT_TYPES])
        ai_made = np.isin(ctype, [P.CONTENT_TYPES.index(t) for t in P.AI_CONTENT_TYPES])
        real_users = np.flatnonzero(~self.ghost & (self.created < w.s0))
        self.creator_user = np.where(user_made, real_users[rng.integers(0, len(real_users), c)], -1)
        n_accounts = max(20, c // 8)
        account = rng.integers(0, n_accounts, c)
        creator_country_weights = np.array([x for _, x in P.CREATOR_COUNTRIES], float)
        account_country = _pick(self.rng("content", 1), creator_country_weights, n_accounts)
        creator = np.where(user_made, "u", np.where(ai_made, "ai-studio", "a")).astype(object)
        creator = np.where(user_made, creator + self.creator_user.astype(str), creator)
        creator = np.where(~user_made & ~ai_made, creator + account.astype(str), creator)
        self.creator = pa.array(creator, type=pa.string())
        country_null = user_made | ai_made
        t2015 = text.epoch_seconds(date(2015, 1, 1))
        created = t2015 + rng.integers(0, w.s0 - t2015 - DAY, c)
        created = np.where(user_made, np.maximum(created, self.created[np.maximum(self.creator_user, 0)] + HOUR), created)
        created = np.minimum(created, w.s0 - HOUR)
        is_ai = ai_made | ((ctype == 0) & (rng.random(c) < 0.03))
        language = rng.integers(0, len(P.LANGUAGES), c)
        language_null = (ctype == P.CONTENT_TYPES.index("user_profile")) | (rng.random(c) < 0.08)
        values = {
            "content_id": text.ids("c", np.arange(c)),
            "content_type": text.codes(P.CONTENT_TYPES, ctype),
            "creator_id": self.creator,
            "creator_country_code": text.codes([code for code, _ in P.CREATOR_COUNTRIES], account_country[account], null=country_null),
            "created_at": self.ts(created, rng),
            "is_ai_generated": text.booleans(is_ai),
            "language": text.codes(P.LANGUAGES, language, null=language_null),
        }
        ing = created + _delays(rng, c)
        self.content_chunk = self.chunk("content", values, ing=ing, ts={"created_at": created},
                                        unknown_ref=user_made & self.ghost[np.maximum(self.creator_user, 0)])
        # Per surface, the content it can show, most popular first (sampled Zipf-like, see _zipf_ranks).
        self.surface_pool = []
        for surface in P.SURFACES:
            allowed = [P.CONTENT_TYPES.index(t) for t in P.SURFACE_CONTENT_TYPES[surface]]
            pool = np.flatnonzero(np.isin(ctype, allowed))
            self.surface_pool.append(pool[np.argsort(self.popularity_rank[pool], kind="stable")])

    def make_experiment(self) -> None:
        rng, w = self.rng("experiment"), self.w
        self.experiment_launch = w.s0 + w.day_at(P.EXPERIMENT_AT) * DAY + 9 * HOUR
        eligible = ~self.ghost & (self.created < self.experiment_launch)
        self.assigned = eligible
        self.treatment = eligible & (rng.random(self.n) < 0.5)
        self.assigned_at = np.where(eligible, self.experiment_launch + rng.integers(0, 6 * HOUR, self.n), NEVER)
        idx = np.flatnonzero(eligible)
        values = {
            "experiment_id": text.constant("exp-ai-playlist-safety", len(idx)),
            "user_id": text.ids("u", idx),
            "variant": text.codes(("control", "treatment"), self.treatment[idx].astype(int)),
            "assigned_at": self.ts(self.assigned_at[idx], rng),
        }
        ing = self.assigned_at[idx] + _delays(rng, len(idx))
        self.assignments_chunk = self.chunk("experiment_assignments", values, ing=ing, ts={"assigned_at": self.assigned_at[idx]})

    # --------------------------------------------------------------------------------- days --

    def expected_surface_volume(self) -> np.ndarray:
        per_user = self.p_active * (1 + self.lam)
        return per_user.sum() * P.SURFACE_MIX

    def run(self) -> dict:
        w = self.w
        self.out.mkdir(parents=True, exist_ok=True)
        for name, table in self.contract.items():
            self.sinks[name] = TableSink(table, self.out, self.layout, self.file_format, w.knowledge, w.days * DAY)
        self.make_users()
        self.make_profiles()
        self.make_content()
        self.make_experiment()
        volume = self.expected_surface_volume()
        target = P.LABELS_PER_SURFACE_DAY * max(1.0, self.n / P.LABELS_REFERENCE_USERS) + volume * P.LABELS_VOLUME_SHARE
        self.sampling_rate = np.array([float(f"{min(1.0, t / max(v, 1.0)):.2g}") for t, v in zip(target, volume)])
        self.rate_text = [format(r, "g") for r in self.sampling_rate]
        self.stranger_launch = w.s0 + w.day_at(P.STRANGER_FILTER_AT) * DAY + 9 * HOUR
        self.regression_at = w.s0 + w.day_at(P.REGRESSION_AT) * DAY
        self.counters = dict(event=0, session=0, label=0, report=0, message=0, conversation=0, block=0, interaction=0, judgment=0)
        self.reports, self.messages, self.blocks, self.labels = Cols(), Cols(), Cols(), Cols()
        self.ai, self.proactive = Cols(), Cols()
        self.realized = {
            "active_user_days_by_band": np.zeros(7, np.int64), "organic_reports_by_band": np.zeros(7, np.int64),
            "organic_reason_counts": np.zeros(len(P.REASON_CODES), np.int64),
            "first_contacts_by_band": np.zeros(7, np.int64), "unwanted_by_band": np.zeros(7, np.int64),
            "stranger_to_minor_pre": 0, "stranger_to_minor_post": 0, "stranger_to_minor_dropped": 0,
            "labels_by_surface": np.zeros(10, np.int64), "violating_labels_by_surface": np.zeros(10, np.int64),
            "impressions_by_surface": np.zeros(10, np.int64), "impressions": 0,
        }
        days = range(w.days)
        if self.progress:
            from tqdm import tqdm
            days = tqdm(days, desc="generate", unit="day")
        for t in days:
            self.make_day(t)
        self.make_moderation()
        self.make_evals()
        self.write_small_tables()
        return self.scenario()

    def make_day(self, t: int) -> None:
        w = self.w
        rng = self.rng("day", t)
        ds = w.s0 + t * DAY
        band = self.bands_on(t)
        eligible = self.created < ds
        active = eligible & (rng.random(self.n) < self.p_active)
        A = np.flatnonzero(active)
        a_band = band[A]
        self.realized["active_user_days_by_band"] += np.bincount(a_band, minlength=7)
        nimp = 1 + rng.poisson(self.lam[A])
        first = np.concatenate([[0], np.cumsum(nimp)[:-1]])
        m = int(nimp.sum())
        # Impressions: sessions started by the hour-of-day profile, a few minutes apart.
        ri = self.rng("impressions", t)
        a_of = np.repeat(np.arange(len(A)), nimp)
        user = A[a_of]
        n_sess = 1 + (nimp > 4) + (nimp > 12)
        starts = _times_of_day(ri, len(A) * 3).reshape(len(A), 3)
        sess = (ri.random(m) * n_sess[a_of]).astype(np.int64)
        tod = np.minimum(starts[a_of, sess] + ri.exponential(400, m).astype(np.int64), DAY - 1)
        occurred = ds + tod
        surface = _pick(ri, P.SURFACE_MIX, m)
        content = np.empty(m, np.int64)
        for s, pool in enumerate(self.surface_pool):
            sel = np.flatnonzero(surface == s)
            content[sel] = pool[_zipf_ranks(ri.random(len(sel)), len(pool))]
        ghost_content = ri.random(m) < P.GHOST_CONTENT_SHARE
        content = np.where(ghost_content, self.n_content + ri.integers(0, 50, m), content)
        platform = np.where(ri.random(m) < 0.85, self.platform[user], _pick(ri, P.PLATFORM_MIX, m))
        # Rows are written in time order and event ids increase with time; the arrays below stay
        # in generation order (per user) for the labels, reports and decisions drawn from them.
        order = np.argsort(occurred, kind="stable")
        event = np.empty(m, np.int64)
        event[order] = self.counters["event"] + np.arange(m)
        self.counters["event"] += m
        session = self.counters["session"] + a_of * 3 + sess
        self.counters["session"] += len(A) * 3
        ing = occurred + _delays(ri, m)
        values = {
            "event_id": text.ids("e", event[order]),
            "user_id": text.ids("u", user[order]),
            "content_id": text.ids("c", content[order]),
            "surface": text.codes(P.SURFACES, surface[order]),
            "platform": text.codes(P.PLATFORMS, platform[order]),
            "session_id": text.ids("s", session[order]),
            "occurred_at": self.ts(occurred[order], ri),
        }
        chunk = self.chunk("impressions", values, ing=ing[order], ts={"occurred_at": occurred[order]},
                           unknown_ref=(self.ghost[user] | ghost_content)[order], day=t)
        sink = self.sinks["impressions"]
        chunk = sink.add_duplicates(chunk, self.rng("duplicates", t), P.DUPLICATE_RATE)
        chunk = sink.add_bad_rows(chunk, self.rng("bad", 1000 + t), self.bad_counts("impressions", m, self.rng("bad", 5000 + t), per_day=True), self.serial)
        sink.write(chunk, sort=False)
        self.realized["impressions"] += m
        self.realized["impressions_by_surface"] += np.bincount(surface, minlength=10)
        minor_views = np.flatnonzero(np.isin(band[user], P.MINOR_BANDS) & ~ghost_content)

        self.make_labels(t, event, surface, occurred)
        self.make_reports(t, A, a_band, nimp, first, event, user, content, surface, occurred)
        self.make_messages(t, A, a_band, band, eligible, nimp)
        self.make_ai(t, A)
        # Proactive detection: classifier and human sweeps over the day's impressions, half of them
        # over what minors watch (where age restrictions matter).
        rp = self.rng("decisions", t)
        k = int(rp.poisson(max(0.3, m * P.PROACTIVE_PER_IMPRESSION)))
        from_minors = rp.random(k) < 0.5
        pick = np.where(
            from_minors & (len(minor_views) > 0),
            minor_views[rp.integers(0, max(len(minor_views), 1), k)] if len(minor_views) else 0,
            rp.integers(0, m, k),
        )
        pick = pick[content[pick] < self.n_content]
        self.proactive.add(content=content[pick], flagged=occurred[pick] + rp.integers(60, 6 * HOUR, len(pick)))

    def make_labels(self, t: int, event: np.ndarray, surface: np.ndarray, occurred: np.ndarray) -> None:
        rl = self.rng("labels", t)
        sampled = np.flatnonzero(rl.random(len(event)) < self.sampling_rate[surface])
        k = len(sampled)
        s = surface[sampled]
        violating = rl.random(k) < P.PREVALENCE_BY_SURFACE[s]
        category = _pick(rl, P.POLICY_MIX, k)
        labeled = occurred[sampled] + rl.integers(HOUR, 96 * HOUR, k)
        relabel = rl.random(k) < P.RELABEL_SHARE
        self.realized["labels_by_surface"] += np.bincount(s, minlength=10)
        self.realized["violating_labels_by_surface"] += np.bincount(s[violating], minlength=10)
        # A re-labelled impression: the earlier label may disagree; the later one is the truth.
        first_verdict = np.where(relabel & (rl.random(k) < 0.5), ~violating, violating)
        first_category = np.where(relabel & (rl.random(k) < 0.3), _pick(rl, P.POLICY_MIX, k), category)
        r = np.flatnonzero(relabel)
        for verdict, cat, when, rows in (
            (first_verdict, first_category, labeled, np.arange(k)),
            (violating[r], category[r], labeled[r] + rl.integers(HOUR, 72 * HOUR, len(r)), r),
        ):
            label = self.counters["label"] + np.arange(len(rows))
            self.counters["label"] += len(rows)
            self.labels.add(label=label, event=event[sampled][rows], surface=s[rows], violating=verdict,
                            category=cat, labeled=when, labeler=rl.integers(1, 40, len(rows)))

    def make_reports(self, t, A, a_band, nimp, first, event, user, content, surface, occurred) -> None:
        rr = self.rng("reports", t)
        day_end = self.w.s0 + (t + 1) * DAY
        files = rr.random(len(A)) < self.per_day_probability(P.REPORT_PROBABILITY_BY_BAND[a_band], nimp)
        r_a = np.flatnonzero(files)
        j = first[r_a] + (rr.random(len(r_a)) * nimp[r_a]).astype(np.int64)
        k = len(j)
        reported = occurred[j] + (rr.random(k) * np.minimum(2 * HOUR, day_end - 1 - occurred[j])).astype(np.int64)
        c = content[j]
        creator_user = np.where(c < self.n_content, self.creator_user[np.minimum(c, self.n_content - 1)], -1)
        as_user = (rr.random(k) < 0.2) & (creator_user >= 0) & (creator_user != user[j])
        reason = _pick(rr, P.REPORT_REASON_MIX, k)
        self.realized["organic_reports_by_band"] += np.bincount(a_band[r_a], minlength=7)
        self.realized["organic_reason_counts"] += np.bincount(reason, minlength=len(P.REASON_CODES))
        self.add_reports(rr, origin=0, reporter=user[j], tf=np.zeros(k, bool), target_type=as_user.astype(int),
                         target=np.where(as_user, creator_user, c), sender=np.full(k, -1), reason=reason,
                         surface=surface[j], illegal=rr.random(k) < P.REPORT_ILLEGAL_SHARE, reported=reported)
        # Trusted flaggers (accounts outside the users table) notify about the day's content.
        k = int(rr.poisson(max(0.2, len(event) * P.TRUSTED_FLAGGER_REPORTS_PER_IMPRESSION)))
        j = rr.integers(0, len(event), k)
        self.add_reports(rr, origin=1, reporter=rr.integers(1, P.TRUSTED_FLAGGERS + 1, k), tf=np.ones(k, bool),
                         target_type=np.zeros(k, int), target=content[j], sender=np.full(k, -1),
                         reason=_pick(rr, P.REPORT_REASON_MIX, k), surface=surface[j], illegal=rr.random(k) < 0.6,
                         reported=occurred[j] + rr.integers(HOUR, 20 * HOUR, k))

    def add_reports(self, rng, *, origin, reporter, tf, target_type, target, sender, reason, surface, illegal, reported) -> None:
        k = len(reporter)
        rid = self.counters["report"] + np.arange(k)
        self.counters["report"] += k
        self.reports.add(report=rid, origin=np.full(k, origin), reporter=reporter, tf=tf, target_type=target_type,
                         target=target, sender=sender, reason=reason, surface=surface, illegal=illegal, reported=reported)

    def per_day_probability(self, p: np.ndarray, nimp: np.ndarray) -> np.ndarray:
        """P(at least one report, or first contact) on an active day: p, or 1 - (1 - p)^(k^a) with activity."""
        if self.activity_exponent == 0:
            return p
        return 1.0 - (1.0 - p) ** (nimp.astype(float) ** self.activity_exponent)

    def make_messages(self, t, A, a_band, band, eligible, nimp) -> None:
        rm = self.rng("messages", t)
        ds = self.w.s0 + t * DAY
        pool = np.flatnonzero(eligible)
        sends = np.flatnonzero(rm.random(len(A)) < self.per_day_probability(P.FIRST_CONTACT_PROBABILITY_BY_BAND[a_band], nimp))
        sender = A[sends]
        k = len(sender)
        pos = rm.integers(0, len(pool), k)
        recipient = pool[pos]
        recipient = np.where(recipient == sender, pool[(pos + 1) % len(pool)], recipient)
        connection = rm.random(k) < P.CONNECTION_SHARE
        sent = ds + _times_of_day(rm, k)
        s_band, r_band = band[sender], band[recipient]
        stranger_to_minor = np.isin(s_band, P.ADULT_BANDS) & ~connection & np.isin(r_band, P.MINOR_BANDS)
        after = sent >= self.stranger_launch
        dropped = stranger_to_minor & after & (rm.random(k) < -P.STRANGER_FILTER_EFFECT)
        self.realized["stranger_to_minor_dropped"] += int(dropped.sum())
        self.realized["stranger_to_minor_pre"] += int((stranger_to_minor & ~after).sum())
        self.realized["stranger_to_minor_post"] += int((stranger_to_minor & after & ~dropped).sum())
        keep = ~dropped
        sender, recipient, connection, sent, r_band = sender[keep], recipient[keep], connection[keep], sent[keep], r_band[keep]
        k = len(sender)
        conversation = self.counters["conversation"] + np.arange(k)
        self.counters["conversation"] += k
        mid = self.add_messages(conversation, sender, recipient, np.ones(k, bool), connection, sent)
        self.realized["first_contacts_by_band"] += np.bincount(r_band, minlength=7)
        # The recipient's answer to an unwanted first contact: a block or a report within 72 h.
        unwanted = rm.random(k) < P.UNWANTED_CONTACT_BY_BAND[r_band]
        self.realized["unwanted_by_band"] += np.bincount(r_band[unwanted], minlength=7)
        when = sent + rm.integers(600, int(71.5 * HOUR), k)
        blocks = unwanted & (rm.random(k) < P.UNWANTED_BLOCK_SHARE)
        late_block = ~unwanted & (rm.random(k) < P.LATE_BLOCK_SHARE)
        when = np.where(late_block, sent + rm.integers(80 * HOUR, 200 * HOUR, k), when)
        b = np.flatnonzero(blocks | late_block)
        self.add_blocks(recipient[b], sender[b], np.full(len(b), P.SURFACES.index("messaging")), when[b])
        r = np.flatnonzero(unwanted & ~blocks)
        as_message = rm.random(len(r)) < 0.5
        reason = np.array([P.REASON_CODES.index(x) for x in ("UNWANTED_CONTACT", "HARASSMENT", "SPAM")])[_pick(rm, np.array([0.6, 0.25, 0.15]), len(r))]
        self.add_reports(rm, origin=2, reporter=recipient[r], tf=np.zeros(len(r), bool), target_type=np.where(as_message, 2, 1),
                         target=np.where(as_message, mid[r], sender[r]), sender=sender[r], reason=reason,
                         surface=np.full(len(r), P.SURFACES.index("messaging")), illegal=np.zeros(len(r), bool), reported=when[r])
        # Follow-ups in the same conversation, and messages between connections.
        follow = rm.poisson(P.FOLLOW_UP_MEAN, k)
        f = np.repeat(np.arange(k), follow)
        self.add_messages(conversation[f], sender[f], recipient[f], np.zeros(len(f), bool), connection[f],
                          sent[f] + rm.integers(60, 48 * HOUR, len(f)))
        chat = np.flatnonzero(rm.random(len(A)) < P.BACKGROUND_MESSAGE_PROBABILITY)
        k = len(chat)
        pos = rm.integers(0, len(pool), k)
        other = np.where(pool[pos] == A[chat], pool[(pos + 1) % len(pool)], pool[pos])
        conversation = self.counters["conversation"] + np.arange(k)
        self.counters["conversation"] += k
        self.add_messages(conversation, A[chat], other, np.zeros(k, bool), np.ones(k, bool), ds + _times_of_day(rm, k))

    def add_messages(self, conversation, sender, recipient, first_contact, connection, sent) -> np.ndarray:
        k = len(sender)
        mid = self.counters["message"] + np.arange(k)
        self.counters["message"] += k
        self.messages.add(message=mid, conversation=conversation, sender=sender, recipient=recipient,
                          first_contact=first_contact, connection=connection, sent=sent)
        return mid

    def add_blocks(self, blocker, blocked, surface, when) -> None:
        k = len(blocker)
        bid = self.counters["block"] + np.arange(k)
        self.counters["block"] += k
        self.blocks.add(block=bid, blocker=blocker, blocked=blocked, surface=surface, created=when)

    def make_ai(self, t, A) -> None:
        ra = self.rng("ai", t)
        ds = self.w.s0 + t * DAY
        uses = np.flatnonzero(ra.random(len(A)) < P.AI_USE_PROBABILITY)
        count = 1 + ra.poisson(0.3, len(uses))
        user = A[np.repeat(uses, count)]
        k = len(user)
        feature = _pick(ra, P.AI_FEATURE_MIX, k)
        occurred = ds + _times_of_day(ra, k)
        model = np.where(feature == 0, 0, np.where(feature == 1, 1, np.where(occurred >= self.regression_at, 3, 2)))
        p = np.array([P.UNSAFE_PROBABILITY[m] for m in self.model_versions()])[model]
        treated = (feature == 1) & self.treatment[user] & (occurred >= self.assigned_at[user])
        p = np.where(treated, p * (1 + P.EXPERIMENT_EFFECT), p)
        unsafe = ra.random(k) < p
        iid = self.counters["interaction"] + np.arange(k)
        self.counters["interaction"] += k
        self.ai.add(interaction=iid, user=user, feature=feature, model=model, occurred=occurred, unsafe=unsafe, treated=treated)

    @staticmethod
    def model_versions() -> tuple[str, ...]:
        return (P.AI_MODEL["ai_dj"], P.AI_MODEL["ai_playlist"], P.ASSISTANT_BASELINE, P.ASSISTANT_REGRESSED)

    # --------------------------------------------------------------------------- moderation --

    def make_moderation(self) -> None:
        rng = self.rng("decisions", 10**6)
        rep = self.reports.get()
        origin = rep["origin"]
        review_p = np.array([P.REVIEW_PROBABILITY["organic"], P.REVIEW_PROBABILITY["trusted_flagger"], P.REVIEW_PROBABILITY["unwanted_contact"]])
        reviewed = np.flatnonzero(rng.random(len(origin)) < review_p[origin])
        tt = rep["target_type"][reviewed]
        k = len(reviewed)
        action = np.empty(k, np.int64)
        for code, name in enumerate(P.TARGET_TYPES):
            sel = np.flatnonzero(tt == code)
            action[sel] = _pick(rng, P.ACTION_MIX[name], len(sel))
        category = np.array(P.REASON_CATEGORY)[rep["reason"][reviewed]]
        detection = np.where(rep["tf"][reviewed], 3, 0)
        illegal = rep["illegal"][reviewed] & (rng.random(k) < 0.7)
        decisions = Cols()
        decisions.add(target_type=tt, target=rep["target"][reviewed], sender=rep["sender"][reviewed], action=action,
                      category=category, detection=detection, trigger=rep["report"][reviewed], automated=rng.random(k) < 0.3,
                      illegal=illegal, flagged=rep["reported"][reviewed])
        pro = self.proactive.get()
        k = len(pro["content"])
        classifier = rng.random(k) < 0.75
        decisions.add(target_type=np.zeros(k, int), target=pro["content"], sender=np.full(k, -1),
                      action=_pick(rng, P.ACTION_MIX["proactive"], k), category=_pick(rng, P.POLICY_MIX, k),
                      detection=np.where(classifier, 1, 2), trigger=np.full(k, -1), automated=classifier & (rng.random(k) < 0.85),
                      illegal=rng.random(k) < 0.05, flagged=pro["flagged"])
        k = int(rng.poisson(P.AUTHORITY_ORDERS_PER_DAY * self.w.days)) + 1
        decisions.add(target_type=np.zeros(k, int), target=rng.integers(0, self.n_content, k), sender=np.full(k, -1),
                      action=np.zeros(k, int), category=_pick(rng, P.POLICY_MIX, k), detection=np.full(k, 4),
                      trigger=np.full(k, -1), automated=np.zeros(k, bool), illegal=np.ones(k, bool),
                      flagged=self.w.s0 + rng.integers(0, self.w.days * DAY, k))
        d = decisions.get()
        k = len(d["action"])
        hours = np.clip(rng.lognormal(np.log(8.0), 1.3, k), 0.02, 200.0)
        hours = np.where(d["detection"] == 1, np.clip(rng.lognormal(np.log(0.5), 1.0, k), 0.01, 200.0), hours)
        decided = d["flagged"] + (hours * HOUR).astype(np.int64)
        no_action = d["action"] == P.NO_ACTION
        ground = np.where(no_action, 2, np.where(d["illegal"], 1, 0))
        scope = _pick(rng, np.array([x for _, x in P.TERRITORIAL_SCOPES], float), k)
        order = np.argsort(decided, kind="stable")
        d = {name: values[order] for name, values in d.items()}
        decided, ground, scope, no_action = decided[order], ground[order], scope[order], no_action[order]
        did = np.arange(k)
        self.decision_count = k
        target_text = self.target_ids(d["target_type"], d["target"])
        unknown_ref = (d["target_type"] == 0) & (d["target"] >= self.n_content)
        values = {
            "decision_id": text.ids("d", did),
            "target_type": text.codes(P.TARGET_TYPES, d["target_type"]),
            "target_id": target_text,
            "policy_category": text.codes(P.POLICY_CATEGORIES, d["category"], null=no_action),
            "action": text.codes(P.ACTIONS, d["action"]),
            "detection_source": text.codes(P.DETECTION_SOURCES, d["detection"]),
            "triggering_report_id": self._report_ids(d["trigger"]),
            "is_automated_decision": text.booleans(d["automated"]),
            "decision_ground": text.codes(P.DECISION_GROUNDS, ground),
            "flagged_at": self.ts(d["flagged"], rng),
            "decided_at": self.ts(decided, rng),
            "territorial_scope": text.codes([s for s, _ in P.TERRITORIAL_SCOPES], scope),
        }
        ing = decided + _delays(rng, k)
        self.decisions_chunk = self.chunk("moderation_decisions", values, ing=ing,
                                          ts={"flagged_at": d["flagged"], "decided_at": decided}, unknown_ref=unknown_ref)
        self.make_appeals(did, d, decided, no_action)
        self.make_report_rows(rep)

    def _report_ids(self, trigger: np.ndarray) -> pa.Array:
        named = "r" + np.maximum(trigger, 0).astype(str).astype(object)
        return pa.array(np.where(trigger < 0, None, named), type=pa.string())

    def target_ids(self, target_type: np.ndarray, target: np.ndarray) -> pa.Array:
        prefix = np.array(["c", "u", "m"], dtype=object)[target_type]
        return pa.array(prefix + target.astype(str).astype(object), type=pa.string())

    def owner_ids(self, target_type: np.ndarray, target: np.ndarray, sender: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The decision's owner as text (creator, target user or message sender) and whether one is known."""
        content = np.minimum(target, self.n_content - 1)
        creators = np.asarray(self.creator.take(pa.array(content)), dtype=object)
        owner = np.where(target_type == 0, creators, np.where(target_type == 1, "u" + target.astype(str).astype(object), "u" + sender.astype(str).astype(object)))
        known = ~((target_type == 0) & (target >= self.n_content))
        return owner, known

    def make_appeals(self, did, d, decided, no_action) -> None:
        rng = self.rng("appeals")
        owner, known = self.owner_ids(d["target_type"], d["target"], d["sender"])
        eligible = ~no_action & known
        # Small datasets still get a few appeals (every appeal state and bad-row kind needs some).
        p_appeal = max(P.APPEAL_PROBABILITY, min(1.0, 8 / max(int(eligible.sum()), 1)))
        appealed = np.flatnonzero(eligible & (rng.random(len(did)) < p_appeal))
        k = len(appealed)
        late = rng.random(k) < 0.05
        submitted = decided[appealed] + np.where(late, rng.integers(730 * HOUR, 900 * HOUR, k), rng.integers(HOUR, 400 * HOUR, k))
        outcome = _pick(rng, P.APPEAL_OUTCOME_MIX, k)  # 0 upheld, 1 overturned, 2 never resolved, 3 withdrawn
        resolved = submitted + np.where(outcome == 3, rng.integers(HOUR, 100 * HOUR, k),
                                        (np.clip(rng.lognormal(np.log(48.0), 0.8, k), 1, 900) * HOUR).astype(np.int64))
        aid = np.arange(k)
        first_ing = submitted + _delays(rng, k)
        resolved_ing = np.maximum(resolved + _delays(rng, k), first_ing + 60)
        is_resolved = outcome != 2
        r = np.flatnonzero(is_resolved)
        outcome_code = np.array([0, 1, 2, 3])[outcome]  # APPEAL_OUTCOMES order: upheld, overturned, pending, withdrawn
        rows_aid = np.concatenate([aid, aid[r]])
        rows_submitted = np.concatenate([submitted, submitted[r]])
        rows_resolved = np.concatenate([np.full(k, NULL_TS), resolved[r]])
        rows_outcome = np.concatenate([np.full(k, 2), outcome_code[r]])
        rows_ing = np.concatenate([first_ing, resolved_ing[r]])
        rows_copy = np.concatenate([np.zeros(k, bool), np.ones(len(r), bool)])
        rows_dec = np.concatenate([appealed, appealed[r]])
        values = {
            "appeal_id": text.ids("p", rows_aid),
            "decision_id": text.ids("d", did[rows_dec]),
            "appellant_id": pa.array(owner[rows_dec], type=pa.string()),
            "submitted_at": self.ts(rows_submitted, rng),
            "resolved_at": self.ts(rows_resolved, rng, null=rows_resolved == NULL_TS),
            "outcome": text.codes(P.APPEAL_OUTCOMES, rows_outcome),
        }
        evt = rows_submitted
        self.appeals_chunk = self.chunk("appeals", values, ing=rows_ing, ts={"submitted_at": evt, "resolved_at": rows_resolved}, copy=rows_copy)
        self.appeal_stats = {"appeals": k, "resolved_redeliveries": int(len(r))}

    def make_report_rows(self, rep) -> None:
        rng = self.rng("reports", 10**6)
        k = len(rep["report"])
        reporter = np.where(rep["tf"], "tf-" + np.char.zfill(rep["reporter"].astype(str), 2).astype(object),
                            "u" + rep["reporter"].astype(str).astype(object))
        values = {
            "report_id": text.ids("r", rep["report"]),
            "reporter_id": pa.array(reporter, type=pa.string()),
            "reporter_type": text.codes(("user", "trusted_flagger"), rep["tf"].astype(int)),
            "notice_basis": text.codes(P.NOTICE_BASES, rep["illegal"].astype(int)),
            "target_type": text.codes(P.TARGET_TYPES, rep["target_type"]),
            "target_id": self.target_ids(rep["target_type"], rep["target"]),
            "reason_code": text.codes(P.REASON_CODES, rep["reason"]),
            "surface": text.codes(P.SURFACES, rep["surface"]),
            "reported_at": self.ts(rep["reported"], rng),
        }
        ing = rep["reported"] + _delays(rng, k)
        unknown = rep["tf"] | ((rep["target_type"] == 0) & (rep["target"] >= self.n_content))
        self.reports_chunk = self.chunk("user_reports", values, ing=ing, ts={"reported_at": rep["reported"]}, unknown_ref=unknown)

    # -------------------------------------------------------------------------------- evals --

    def make_evals(self) -> None:
        """Production judgments of sampled AI outputs, and the weekly red-team, benign and calibration runs."""
        w = self.w
        rng = self.rng("evals")
        ai = self.ai.get()
        k = len(ai["interaction"])
        models = self.model_versions()
        judged = np.flatnonzero(rng.random(k) < P.PRODUCTION_JUDGED_SHARE)
        rows = Cols()

        def judge(output, run, eval_set, feature, model, judge_id, human, verdict, category, refused, technique, case, expected, when):
            rows.add(output=output, run=run, eval_set=eval_set, feature=feature, model=model, judge=judge_id, human=human,
                     verdict=verdict, category=category, refused=refused, technique=technique, case=case, expected=expected, when=when)

        j = judged
        n = len(j)
        category = _pick(rng, P.POLICY_MIX, n)
        refused = ~ai["unsafe"][j] & (rng.random(n) < 0.03)
        when = ai["occurred"][j] + rng.integers(HOUR // 2, 30 * HOUR, n)
        rejudge = rng.random(n) < P.REJUDGE_SHARE
        first_verdict = np.where(rejudge & (rng.random(n) < 0.5), ~ai["unsafe"][j], ai["unsafe"][j])
        out_text = "o" + ai["interaction"][j].astype(str).astype(object)
        run_text = "prod-" + np.datetime_as_string((ai["occurred"][j] // DAY).astype("datetime64[D]")).astype(object)
        none = np.full(n, None, dtype=object)
        judge(out_text, run_text, np.zeros(n, int), ai["feature"][j], ai["model"][j], np.full(n, P.PRIMARY_JUDGE, dtype=object),
              np.zeros(n, bool), first_verdict, category, refused, none, none, none, when)
        r = np.flatnonzero(rejudge)
        judge(out_text[r], run_text[r], np.zeros(len(r), int), ai["feature"][j][r], ai["model"][j][r],
              np.full(len(r), P.PRIMARY_JUDGE, dtype=object), np.zeros(len(r), bool), ai["unsafe"][j][r], category[r], refused[r],
              none[r], none[r], none[r], when[r] + rng.integers(HOUR, 48 * HOUR, len(r)))
        # Human reviewers on a share of the judged outputs (one to three each).
        h = np.flatnonzero(rng.random(n) < P.HUMAN_JUDGED_SHARE)
        reps = _pick(rng, np.array([0.5, 0.25, 0.25]), len(h)) + 1
        hh = np.repeat(h, reps)
        agree = rng.random(len(hh)) < P.HUMAN_AGREEMENT
        human_verdict = np.where(agree, ai["unsafe"][j][hh], ~ai["unsafe"][j][hh])
        humans = np.array([f"human-{i:02d}" for i in range(1, P.HUMAN_JUDGES + 1)], dtype=object)[rng.integers(0, P.HUMAN_JUDGES, len(hh))]
        judge(out_text[hh], run_text[hh], np.zeros(len(hh), int), ai["feature"][j][hh], ai["model"][j][hh], humans,
              np.ones(len(hh), bool), human_verdict, category[hh], refused[hh], none[hh], none[hh], none[hh],
              ai["occurred"][j][hh] + rng.integers(24 * HOUR, 120 * HOUR, len(hh)))
        self.production = {"interactions": k, "judged_outputs": n, "human_judged_outputs": int(len(h))}

        # Weekly evaluation runs.
        drift_day = w.day_at(P.DRIFT_AT)
        cal_days = list(range(3, w.days, 7))
        last_cal = cal_days[-1]
        cal_feature = rng.integers(0, 3, P.CALIBRATION_CASES)
        cal_expected = rng.random(P.CALIBRATION_CASES) < P.CALIBRATION_UNSAFE_SHARE
        cal_category = _pick(rng, P.POLICY_MIX, P.CALIBRATION_CASES)
        self.calibration_runs = []
        for day in cal_days:
            run = f"cal-{(w.start + timedelta(days=day)).strftime('%Y%m%d')}"
            start = w.s0 + day * DAY + 2 * HOUR
            if day <= drift_day:
                accuracy = P.JUDGE_ACCURACY_BEFORE
            else:
                accuracy = P.JUDGE_ACCURACY_BEFORE - (P.JUDGE_ACCURACY_BEFORE - P.JUDGE_ACCURACY_END) * (day - drift_day) / max(last_cal - drift_day, 1)
            realized = {}
            for judge_id, acc in ((P.PRIMARY_JUDGE, accuracy), (P.CANDIDATE_JUDGE, P.CANDIDATE_ACCURACY)):
                c = P.CALIBRATION_CASES
                correct = rng.random(c) < acc
                verdict = np.where(correct, cal_expected, ~cal_expected)
                realized[judge_id] = round(float(correct.mean()), 6)
                model = np.where(cal_feature == 0, 0, np.where(cal_feature == 1, 1, 2))
                judge(np.array([f"cal-out-{i:03d}" for i in range(1, c + 1)], dtype=object), np.full(c, run, dtype=object),
                      np.full(c, 3), cal_feature, model, np.full(c, judge_id, dtype=object), np.zeros(c, bool), verdict,
                      cal_category, np.zeros(c, bool), np.full(c, None, dtype=object),
                      np.array([f"cal-{i:03d}" for i in range(1, c + 1)], dtype=object), cal_expected.astype(object),
                      start + np.arange(c) * 15 + (0 if judge_id == P.PRIMARY_JUDGE else 1800))
            self.calibration_runs.append({"eval_run_id": run, "run_date": (w.start + timedelta(days=day)).isoformat(),
                                          "primary_accuracy_parameter": round(accuracy, 6), "realized_accuracy": realized})
        self.red_team_runs, self.benign_runs = [], []
        for day in range(5, w.days, 7):
            run_date = w.start + timedelta(days=day)
            start = w.s0 + day * DAY + 3 * HOUR
            for f, feature in enumerate(P.FEATURES):
                model = f if f < 2 else (3 if start >= self.regression_at else 2)
                c = P.RED_TEAM_CASES
                unsafe = rng.random(c) < P.ATTACK_SUCCESS[models[model]]
                run = f"rt-{run_date.strftime('%Y%m%d')}"
                cases = np.array([f"rt-{feature}-{i:03d}" for i in range(1, c + 1)], dtype=object)
                judge(np.array([f"rto-{run_date.strftime('%Y%m%d')}-{feature}-{i:03d}" for i in range(1, c + 1)], dtype=object),
                      np.full(c, run, dtype=object), np.full(c, 1), np.full(c, f), np.full(c, model),
                      np.full(c, P.PRIMARY_JUDGE, dtype=object), np.zeros(c, bool), unsafe, _pick(rng, P.POLICY_MIX, c),
                      ~unsafe & (rng.random(c) < 0.7), np.array(P.ATTACK_TECHNIQUES, dtype=object)[np.arange(c) % 5],
                      cases, np.full(c, None, dtype=object), start + f * 3600 + np.arange(c) * 20)
                self.red_team_runs.append({"eval_run_id": run, "feature": feature, "model_version": models[model],
                                           "attack_success_parameter": P.ATTACK_SUCCESS[models[model]], "realized": round(float(unsafe.mean()), 6)})
                c = P.BENIGN_CASES
                refused = rng.random(c) < P.OVER_REFUSAL[feature]
                run = f"bp-{run_date.strftime('%Y%m%d')}"
                judge(np.array([f"bpo-{run_date.strftime('%Y%m%d')}-{feature}-{i:03d}" for i in range(1, c + 1)], dtype=object),
                      np.full(c, run, dtype=object), np.full(c, 2), np.full(c, f), np.full(c, model),
                      np.full(c, P.PRIMARY_JUDGE, dtype=object), np.zeros(c, bool), np.zeros(c, bool), np.zeros(c, int),
                      refused, np.full(c, None, dtype=object), np.array([f"bp-{feature}-{i:03d}" for i in range(1, c + 1)], dtype=object),
                      np.full(c, None, dtype=object), start + 2 * 3600 + f * 600 + np.arange(c) * 20)
                self.benign_runs.append({"eval_run_id": run, "feature": feature, "over_refusal_parameter": P.OVER_REFUSAL[feature],
                                         "realized": round(float(refused.mean()), 6)})
        g = rows.get()
        order = np.argsort(g["when"], kind="stable")
        g = {name: values[order] for name, values in g.items()}
        k = len(order)
        expected = g["expected"]
        values = {
            "judgment_id": text.ids("j", np.arange(k)),
            "output_id": pa.array(g["output"], type=pa.string()),
            "eval_run_id": pa.array(g["run"], type=pa.string()),
            "eval_set": text.codes(("production_sample", "red_team", "benign_probe", "calibration"), g["eval_set"]),
            "feature": text.codes(P.FEATURES, g["feature"]),
            "model_version": text.codes(models, g["model"]),
            "judge_id": pa.array(g["judge"], type=pa.string()),
            "judge_type": text.codes(("llm", "human"), g["human"].astype(int)),
            "verdict": text.codes(("safe", "unsafe"), g["verdict"].astype(int)),
            "harm_category": text.codes(P.POLICY_CATEGORIES, g["category"], null=~g["verdict"].astype(bool)),
            "refused": text.booleans(g["refused"].astype(bool)),
            "attack_technique": pa.array(g["technique"], type=pa.string()),
            "test_case_id": pa.array(g["case"], type=pa.string()),
            "expected_verdict": pa.array(np.where(expected == None, None, np.where(expected == True, "unsafe", "safe")), type=pa.string()),  # noqa: E711,E712
            "judged_at": self.ts(g["when"], rng),
        }
        ing = g["when"] + _delays(rng, k)
        self.judgments_chunk = self.chunk("ai_eval_judgments", values, ing=ing, ts={"judged_at": g["when"]})
        # AI interactions rows.
        values = {
            "interaction_id": text.ids("x", ai["interaction"]),
            "user_id": text.ids("u", ai["user"]),
            "feature": text.codes(P.FEATURES, ai["feature"]),
            "model_version": text.codes(models, ai["model"]),
            "output_id": text.ids("o", ai["interaction"]),
            "occurred_at": self.ts(ai["occurred"], rng),
        }
        ing = ai["occurred"] + _delays(rng, k := len(ai["interaction"]))
        self.ai_chunk = self.chunk("ai_interactions", values, ing=ing, ts={"occurred_at": ai["occurred"]}, unknown_ref=self.ghost[ai["user"]])
        self.ai_realized = ai

    # ------------------------------------------------------------------------- small tables --

    def write_small_tables(self) -> None:
        rng = self.rng("misc", 1)
        lab = self.labels.get()
        k = len(lab["label"])
        values = {
            "label_id": text.ids("l", lab["label"]),
            "event_id": text.ids("e", lab["event"]),
            "sample_stratum": text.codes(P.SURFACES, lab["surface"]),
            "sampling_rate": text.codes(self.rate_text, lab["surface"]),
            "is_violating": text.booleans(lab["violating"]),
            "policy_category": text.codes(P.POLICY_CATEGORIES, lab["category"], null=~lab["violating"].astype(bool)),
            "labeler_id": pa.array("rev-" + np.char.zfill(lab["labeler"].astype(str), 2).astype(object), type=pa.string()),
            "labeled_at": self.ts(lab["labeled"], rng),
        }
        labels_chunk = self.chunk("prevalence_labels", values, ing=lab["labeled"] + _delays(rng, k), ts={"labeled_at": lab["labeled"]})
        msg = self.messages.get()
        order = np.argsort(msg["sent"], kind="stable")
        msg = {name: values[order] for name, values in msg.items()}
        k = len(order)
        values = {
            "message_id": text.ids("m", msg["message"]),
            "conversation_id": text.ids("v", msg["conversation"]),
            "sender_id": text.ids("u", msg["sender"]),
            "recipient_id": text.ids("u", msg["recipient"]),
            "is_first_contact": text.booleans(msg["first_contact"]),
            "sender_is_connection": text.booleans(msg["connection"]),
            "sent_at": self.ts(msg["sent"], rng),
        }
        messages_chunk = self.chunk("messages", values, ing=msg["sent"] + _delays(rng, k), ts={"sent_at": msg["sent"]},
                                    unknown_ref=self.ghost[msg["sender"]] | self.ghost[msg["recipient"]])
        blk = self.blocks.get()
        k = len(blk["block"])
        values = {
            "block_id": text.ids("b", blk["block"]),
            "blocker_id": text.ids("u", blk["blocker"]),
            "blocked_id": text.ids("u", blk["blocked"]),
            "surface": text.codes(P.SURFACES, blk["surface"]),
            "created_at": self.ts(blk["created"], rng),
        }
        blocks_chunk = self.chunk("user_blocks", values, ing=blk["created"] + _delays(rng, k), ts={"created_at": blk["created"]})
        for name, chunk in (
            ("users", self.users_chunk), ("user_profile_versions", self.profiles_chunk), ("content", self.content_chunk),
            ("prevalence_labels", labels_chunk), ("user_reports", self.reports_chunk),
            ("moderation_decisions", self.decisions_chunk), ("appeals", self.appeals_chunk), ("messages", messages_chunk),
            ("user_blocks", blocks_chunk), ("ai_interactions", self.ai_chunk), ("ai_eval_judgments", self.judgments_chunk),
            ("interventions", self.interventions_chunk()), ("experiment_assignments", self.assignments_chunk),
        ):
            self.finish_table(name, chunk)
        for sink in self.sinks.values():
            sink.close()

    def interventions_chunk(self) -> pa.Table:
        w = self.w
        rng = self.rng("interventions")
        placebo = w.s0 + w.day_at(P.PLACEBO_AT) * DAY + 9 * HOUR
        placebo_end = placebo + 30 * DAY
        rows = [
            ("int-001", "stranger_dm_filter_minors", "Message requests from adult non-connections to minors are held as requests and not delivered",
             "messaging", "child_safety", "under_13|13_15|16_17", "all", self.stranger_launch, None, None),
            ("int-002", "ai_playlist_safety_prompt", "A safety system prompt for AI playlist generation tested as a randomized experiment",
             "ai_playlist", "all", "all", "all", self.experiment_launch, None, "exp-ai-playlist-safety"),
            ("int-003", "home_feed_label_refresh", "Refreshed information labels on the home feed in four EU countries",
             "home", "misinformation", "all", "DE|FR|IT|ES", placebo, None, None),
        ]
        # int-003 ended: its state is delivered again with ended_at (a state update, latest wins).
        if placebo_end < w.knowledge - DAY:
            rows.append(rows[2][:8] + (placebo_end, None))
        n = len(rows)
        launched = np.array([r[7] for r in rows], dtype=np.int64)
        ended = np.array([r[8] if r[8] is not None else NULL_TS for r in rows], dtype=np.int64)
        ing = launched + rng.integers(60, HOUR, n)
        copy = np.zeros(n, bool)
        if n == 4:
            ing[3] = placebo_end + rng.integers(60, HOUR)
            copy[3] = True
        values = {
            "intervention_id": pa.array([r[0] for r in rows]),
            "name": pa.array([r[1] for r in rows]),
            "description": pa.array([r[2] for r in rows]),
            "surface": pa.array([r[3] for r in rows]),
            "policy_category": pa.array([r[4] for r in rows]),
            "target_age_bands": pa.array([r[5] for r in rows]),
            "target_countries": pa.array([r[6] for r in rows]),
            "launched_at": text.timestamps(launched),
            "ended_at": text.timestamps(ended, null=ended == NULL_TS),
            "experiment_id": pa.array([r[9] for r in rows], type=pa.string()),
        }
        self.intervention_rows = rows
        return self.chunk("interventions", values, ing=ing, ts={"launched_at": launched, "ended_at": ended}, copy=copy)

    # ----------------------------------------------------------------------------- scenario --

    def scenario(self) -> dict:
        w = self.w
        r = self.realized
        bands = P.AGE_BANDS

        def by_band(values) -> dict:
            return {b: (round(float(v), 6) if isinstance(v, float | np.floating) else int(v)) for b, v in zip(bands, values)}

        ai = self.ai_realized
        models = self.model_versions()
        day_iso = lambda s: (w.start + timedelta(days=int((s - w.s0) // DAY))).isoformat()  # noqa: E731
        truths = {
            "prevalence_by_surface": {
                "p_violating": {s: float(p) for s, p in zip(P.SURFACES, P.PREVALENCE_BY_SURFACE)},
                "sampling_rate": {s: float(x) for s, x in zip(P.SURFACES, self.sampling_rate)},
                "policy_category_mix_given_violating": {c: float(x) for c, x in zip(P.POLICY_CATEGORIES, P.POLICY_MIX)},
                "relabel_share": P.RELABEL_SHARE,
                "realized_labels": {s: int(x) for s, x in zip(P.SURFACES, r["labels_by_surface"])},
                "realized_violating_labels": {s: int(x) for s, x in zip(P.SURFACES, r["violating_labels_by_surface"])},
            },
            "reports_per_active_user_day_by_age_band": {
                "p_report": by_band(P.REPORT_PROBABILITY_BY_BAND.astype(float)),
                "reason_mix": {c: float(x) for c, x in zip(P.REASON_CODES, P.REPORT_REASON_MIX)},
                **({"activity_exponent": self.activity_exponent} if self.activity_exponent else {}),
                "note": "Organic reports: at most one per active user-day, reported on the same UTC day"
                        + ("; the day's probability is 1 - (1 - p_report)^(impressions^activity_exponent)"
                           if self.activity_exponent else "") + ". Recipients "
                        "reporting unwanted contact and trusted flaggers (not users: age band unknown) add reports on top.",
                "realized_active_user_days": by_band(r["active_user_days_by_band"]),
                "realized_organic_reports": by_band(r["organic_reports_by_band"]),
                "realized_reason_counts": {c: int(x) for c, x in zip(P.REASON_CODES, r["organic_reason_counts"])},
            },
            "unwanted_contact_rate_by_age_band": {
                "p_unwanted": by_band(P.UNWANTED_CONTACT_BY_BAND.astype(float)),
                "block_share": P.UNWANTED_BLOCK_SHARE,
                "late_block_share_after_72h": P.LATE_BLOCK_SHARE,
                "realized_first_contacts": by_band(r["first_contacts_by_band"]),
                "realized_unwanted": by_band(r["unwanted_by_band"]),
            },
            "interventions": [
                {
                    "intervention_id": "int-001", "name": "stranger_dm_filter_minors",
                    "metric": "stranger_adult_to_minor_contacts_per_1k", "segment": {"age_band": list(bands[:3])},
                    "launch_date": day_iso(self.stranger_launch), "launched_at": _iso(self.stranger_launch),
                    "relative_effect": P.STRANGER_FILTER_EFFECT, "experiment_id": None,
                    "realized_messages_pre": r["stranger_to_minor_pre"], "realized_messages_post": r["stranger_to_minor_post"],
                    "realized_dropped": r["stranger_to_minor_dropped"],
                },
                {
                    "intervention_id": "int-002", "name": "ai_playlist_safety_prompt",
                    "metric": "ai_unsafe_output_rate", "segment": {"feature": "ai_playlist"},
                    "launch_date": day_iso(self.experiment_launch), "launched_at": _iso(self.experiment_launch),
                    "relative_effect": P.EXPERIMENT_EFFECT, "experiment_id": "exp-ai-playlist-safety",
                    "effect_applies_to": "treatment users' ai_playlist outputs from their assigned_at",
                    "p_control": P.UNSAFE_PROBABILITY[P.AI_MODEL["ai_playlist"]],
                    "p_treatment": P.UNSAFE_PROBABILITY[P.AI_MODEL["ai_playlist"]] * (1 + P.EXPERIMENT_EFFECT),
                    "assigned_users": int(self.assigned.sum()), "treatment_users": int(self.treatment.sum()),
                },
                {
                    "intervention_id": "int-003", "name": "home_feed_label_refresh",
                    "metric": "violating_view_rate", "segment": {"surface": "home", "countries": ["DE", "FR", "IT", "ES"]},
                    "launch_date": day_iso(self.intervention_rows[2][7]), "launched_at": _iso(self.intervention_rows[2][7]),
                    "relative_effect": 0.0, "experiment_id": None,
                },
            ],
            "ai_model_regression": {
                "feature": "ai_assistant", "model_version_baseline": P.ASSISTANT_BASELINE, "model_version_regressed": P.ASSISTANT_REGRESSED,
                "p_baseline": P.UNSAFE_PROBABILITY[P.ASSISTANT_BASELINE], "p_regressed": P.UNSAFE_PROBABILITY[P.ASSISTANT_REGRESSED],
                "rollout_date": day_iso(self.regression_at),
                "p_unsafe_by_model_version": {m: P.UNSAFE_PROBABILITY[m] for m in models},
                "attack_success_by_model_version": {m: P.ATTACK_SUCCESS[m] for m in models},
                "over_refusal_by_feature": dict(P.OVER_REFUSAL),
                "primary_judge": P.PRIMARY_JUDGE, "human_agreement": P.HUMAN_AGREEMENT,
                "realized_interactions_by_model_version": {m: int((ai["model"] == i).sum()) for i, m in enumerate(models)},
                "realized_unsafe_by_model_version": {m: int(((ai["model"] == i) & ai["unsafe"]).sum()) for i, m in enumerate(models)},
                "production": self.production,
                "red_team_runs": self.red_team_runs, "benign_probe_runs": self.benign_runs,
            },
            "judge_drift": {
                "judge_id": P.PRIMARY_JUDGE, "accuracy_before": P.JUDGE_ACCURACY_BEFORE, "accuracy_at_last_run": P.JUDGE_ACCURACY_END,
                "drift_start_date": (w.start + timedelta(days=w.day_at(P.DRIFT_AT))).isoformat(),
                "candidate_judge_id": P.CANDIDATE_JUDGE, "candidate_accuracy": P.CANDIDATE_ACCURACY,
                "calibration_cases": P.CALIBRATION_CASES, "runs": self.calibration_runs,
            },
            "bad_input": {name: dict(sorted(sink.stats.bad_rows.items())) for name, sink in self.sinks.items()},
            "tables": {name: sink.stats.as_dict() for name, sink in self.sinks.items()},
            "population": {
                "users": self.n, "users_without_users_row": int(self.ghost.sum()), **self.profile_rows,
                "content_items": self.n_content, "decisions": self.decision_count, **self.appeal_stats,
            },
        }
        scenario = {
            "generator": "tsw generate",
            "parameters": {
                "seed": self.seed, "users": self.n, "days": w.days, "start_date": w.start.isoformat(), "bad_rate": self.bad_rate,
                "layout": self.layout, "file_format": self.file_format,
            },
            "as_of_date": w.as_of.isoformat(),
            "knowledge_instant": _iso(w.knowledge),
            "first_day": w.start.isoformat(),
            "last_day": w.as_of.isoformat(),
            "truths": truths,
        }
        (self.out / "scenario.json").write_text(json.dumps(_plain(scenario), indent=2, sort_keys=True) + "\n")
        if self.layout == "seeds":
            (self.out / "_demo__seeds.yml").write_text(seed_properties_yaml())
        return json.loads(json.dumps(_plain(scenario)))


def _iso(seconds: int) -> str:
    from tsw.generate.output import _iso as iso
    return iso(seconds)


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return round(float(value), 6)
    if isinstance(value, float):
        return round(value, 6)
    return value


__all__ = ["Generator"]
