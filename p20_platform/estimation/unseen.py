"""How likely each youth-year whose status the data cannot decide is really disconnected.

Two gaps leave a youth-year's status undecided (see `marts.disconnected_youth_person_year`):

- unlinkable wages: no record of the youth carries an SSN, so UI wage records (SSN, surname,
  first initial, no date of birth) can never be joined to them, and "no job found" is an absence
  of evidence. Such youth-years count as disconnected only because no wage record was found.
- unknown diploma: the youth was never in a Connecticut public school, so whether they hold a
  diploma (from elsewhere, a private school, home schooling) is unknown.

The estimator works in the hub, where identifiers may be used, and lets only a probability per
youth-year leave it (the published table holds p20_ids, years and probabilities; nothing is linked:
no pair found by surname and initial, or by a near SSN, enters the crosswalk).

1. Namesakes. The wages nobody could link sit with index entries made only of DOL records (the
   pool). For each undecided youth-year: how many pool workers share the youth's surname and first
   initial and were at least 15 when first paid (`namesakes`, from school records' names), and how
   many of them were paid that year (`paid_namesakes`).
2. A mixture, fitted without truth (`employment_probabilities`). If the youth ever worked, their
   own wages are one pool worker, under their key or, with chance `q` (a misspelt or married
   surname), under another; the rest of their namesakes are strangers. How many strangers a youth
   meets and how often a stranger is paid are measured on youth with an SSN bridge, their own wage
   records (found by SSN) taken out of the pool: the pool and the names are the same for them.
   `q` is fitted per age-now band, sex and name commonness (shrunk towards the band and sex) to the
   undecided youth's own namesake counts, so it does not assume SSN-less youth lose their wages to a
   changed name as often as bridged youth do (they do not: a youth is SSN-less partly because a noisy
   name kept their bridges apart). Strangers are
   measured per class of name commonness (how many people in the index share the name key), since
   a common name meets far more of them. The employment rate per age band and report year, that of
   bridged youth in the same situation shifted by one log-odds offset per age band, then
   follows by expectation-maximisation, each youth-year with at most `NAMESAKE_CAP` namesakes
   weighing whether its paid or unpaid namesakes include the youth's own worker; youth-years with
   more namesakes than that carry no usable evidence and count at the fitted rate.
3. Jobs left apart. A youth with an SSN whose status rests on a job not found, and a pool worker
   paid that year under their SSN or one a keystroke from it (the index keeps such wage records
   apart when the names disagree: a married surname, a typo), counts as employed.
   The rest of them may have worked under an SSN not their own (a relative's, or one the hub rejects)
   with their own name: `lost_job_probabilities`.
4. Unknown diplomas (youth never in a CT public school). Past the on-time graduation year, the
   probability of holding a diploma is the share with one among out-of-school youth of the same
   age and report year seen in CT public schools doing the same (a job, college or training,
   neither; for a youth whose job is estimated, the job's share weighs with the job); before it
   (presumed in school elsewhere), the probability of being a dropout is the share of such youth out of school without a diploma;
   each with its binomial uncertainty, never zero or one. Cohorts older than the school records
   hold students who left before them among the unknowns (`_before_school_records`).

`p_disconnected` = 1 - P(employed, postsecondary or training) x P(diploma | so); `p_severe`, its severe part,
= P(no job) x P(no diploma | no job) (the continuum's severe status: no diploma and no job).
5. Dropouts whose wages cannot be linked (known to hold no diploma, no SSN anywhere, no job found) are
   disconnected whatever their wages say, but severe only if they do not work: their employment is
   fitted by the same mixture, on their own (`severity_rests_on_unlinkable_wages`), so only their
   `p_severe` moves (measured on the demo before this: the records alone counted 189 severe youth
   in 2025 against 126 in truth). Replicates (a Poisson
bootstrap over bridged and undecided persons; beta draws for the diploma share) carry the
uncertainty of the fitted shares; each count's interval adds their spread to the Bernoulli spread of
the youth-years themselves (see the counts mart).

Measured against truth before choosing (`bench.estimate` homes: the demo population and 10,000-person
populations, seeds 1-4, bridge rates 1 and 3; employment rate of the undecided youth-years):
- The first version corrected the share with wage evidence for the evidence's sensitivity and
  specificity measured by hiding bridged youth's SSNs (Rogan-Gladen, then Bayes). At a true
  employment rate near 92%, two points of sensitivity move the estimated unemployment by a third,
  and the sensitivity did not carry over: bridged youth's names are cleaner than SSN-less youth's,
  and a youth split by the index in two (a school-record half without SSN) finds no wages at all.
  It ran 0.7-12 points low (disconnected counts 3-17% high over 2016-2025).
- The mixture, which measures only the strangers on bridged youth: within 2 points (-2.3 to +1.7)
  in each home; the yearly counts then rest on what the index decided, whose own errors (persons
  split in two, jobs left apart) `splits.py` corrects with the index's match probabilities.
Dual-system (capture-recapture) allocation of wage-only workers to cohorts was not built: wage-only
workers carry no date of birth, so their cohort rests on the first year paid alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy  # its submodules load on first use: scipy.stats alone is over a second of the code location's load

from p20_platform.registry import SCHOOL_AGENCIES

WAGE_AGENCY = "DOL"
FIRST_WORK_AGE = 15  # a wage-only person first paid younger than this relative to a youth is not them
# A youth's names are taken from school records (`SCHOOL_AGENCIES`) where there are any: every youth's
# are of the same era, whereas later records (shelters, courts) of some youth carry a married name and
# would make the test find their wages more easily than another youth's.
REPLICATES = 40  # bootstrap replicates published beside the point estimate (replicate 0)
NAMESAKE_CAP = 3  # namesake counts of 3 and more are one class
# Age at the latest report year: wage records carry the current surname, school records the one
# of school days, so the older a youth is now, the likelier a marriage hides their wages.
AGE_NOW_BANDS = (20, 22, 24, 26, 28, 30, 32, 34)  # two-year bands
SEED = 20_260_601
SEXES = ("F", "M", "unknown")
STRANGER_PRIOR_WEIGHT = 20.0  # pseudo-observations at the pooled namesake distribution per stratum
EM_ITERATIONS = 30
NEWTON_STEPS = 5  # per EM iteration, for the employment offsets
REFERENCE_PRIOR_WEIGHT = 20.0  # pseudo-observations at the age band's rate per reference cell
NAME_CHANGE_PRIOR_ROWS = 50.0  # youth-years' worth of the age-now band and sex's likelihood in each stratum's q
# How common a youth's name is: index entries (people some agency recorded) sharing their name keys,
# class upper bounds. Strangers are counted and paid per class: at 1.2M persons a common key meets
# hundreds of pool workers, a rare one none, and the pooled distributions fitted neither (employment
# 23-57% low in 2015-2021 on helper 16's 1.2M home).
NAME_COMMONNESS = (1, 3, 10, 30, 100, 300)
# What an out-of-school youth-year was seen doing; the diploma share is measured per activity.
ACTIVITIES = ("college or training", "job", "none")
ACTIVITY_PRIOR_WEIGHT = 10.0  # pseudo-observations at the (report year, age) cell's share over all activities


@dataclass(frozen=True)
class UnseenEstimate:
    """The hub's publication: probabilities per undecided youth-year and the fitted shares behind them."""

    # p20_id, report_year, replicate (0 = point estimate), p_disconnected, p_employed_unseen, p_diploma,
    # p_severe (the part of p_disconnected that is severe: no diploma and no job)
    probabilities: pd.DataFrame
    # per age-now band and sex: the fitted shares behind the employment probabilities (aggregates only)
    parameters: pd.DataFrame


def among(column: pd.Series, values: pd.Series | pd.Index) -> pd.Series:
    """`column.isin(values)` by Arrow's hash set. pandas' `isin` on Arrow strings first makes a Python
    object of every one of `values`: at 1.2M persons, millions of p20_ids, minutes of the estimate."""
    found = pc.is_in(pa.array(column), value_set=pa.array(values).unique())
    return pd.Series(found.to_numpy(zero_copy_only=False), index=column.index)


def _person_parts(records: pd.DataFrame, crosswalk: pd.DataFrame) -> pd.DataFrame:
    """Every record's name keys (surname + first initial, and each word of a compound surname +
    first initial) with its p20_id, whether it is a wage-part record (a DOL record without a date of
    birth), whether it carries an SSN (a bridge), and whether its entry is made only of DOL records
    (`dol_only`: the pool of wages nobody else accounts for)."""
    return duckdb.sql(f"""
        WITH linked AS (
            SELECT c.p20_id, r.record_id, r.agency, r.FakeID, r.last_name, left(r.first_name, 1) AS initial,
                   r.agency = '{WAGE_AGENCY}' AND r.dob IS NULL AS wage_part,
                   r.agency = '{WAGE_AGENCY}' AS dol_record,
                   r.ssn, r.ssn IS NOT NULL AS bridge
            FROM records AS r JOIN crosswalk AS c USING (record_id)),
        keyed AS (
            SELECT *, last_name || ' ' || initial AS name_key FROM linked
            UNION
            SELECT * EXCLUDE (word), word || ' ' || initial
            FROM (SELECT *, unnest(string_split(last_name, ' ')) AS word FROM linked WHERE last_name LIKE '% %')
            WHERE length(word) >= 3)
        SELECT p20_id, record_id, agency, FakeID, ssn, wage_part, dol_record, bridge,
               bool_and(dol_record) OVER (PARTITION BY p20_id) AS dol_only,
               CASE WHEN initial IS NOT NULL THEN name_key END AS name_key
        FROM keyed
    """).df()


def wage_evidence(parts: pd.DataFrame, wage_years: pd.DataFrame, person_years: pd.DataFrame,
                  excluded: pd.DataFrame | None = None) -> pd.DataFrame:
    """For each row of `person_years` (p20_id, report_year, age): how many wage-only workers could be
    the youth (`namesakes`: same surname and first initial, at least 15 when first paid), how many
    of them were paid in the report year (`paid_namesakes`), and how common the youth's name is
    (`key_entries`: index entries other than the pool's that share a name key of theirs).

    The pool is every index entry made only of DOL records: the wage records nobody could link, and
    claimants the index left apart. `excluded` (record_id) takes records out of the pool: a bridged
    youth's own wage records, so that their namesakes are strangers only. A person's keys are those
    of their records that neither are DOL records nor carry an SSN, from school records where there
    are any: what an SSN-less youth has (later benefit or custody records often carry a married name).
    """
    excluded = pd.DataFrame({"record_id": []}, dtype=object) if excluded is None else excluded
    return duckdb.sql("""
        WITH pool_records AS (  -- workers and key sets as integers: grouped by strings and lists, `scored` took twice as long
            SELECT dense_rank() OVER (ORDER BY p20_id) AS worker, name_key, FakeID
            FROM parts
            WHERE dol_only AND record_id NOT IN (SELECT record_id FROM excluded)),
        worker_years AS (
            SELECT DISTINCT pr.worker, pr.name_key, w.year
            FROM pool_records AS pr JOIN wage_years AS w ON w.FakeID = pr.FakeID
            WHERE pr.name_key IS NOT NULL),
        workers AS (
            SELECT worker, name_key, min(year) AS first_year FROM worker_years GROUP BY worker, name_key),
        candidate_records AS (
            SELECT *, agency IN $school_agencies AS school
            FROM parts
            WHERE NOT dol_record AND NOT bridge AND name_key IS NOT NULL),
        candidate_keys AS (
            SELECT DISTINCT p20_id, name_key FROM candidate_records
            QUALIFY school OR NOT bool_or(school) OVER (PARTITION BY p20_id)),
        key_entries AS (
            SELECT name_key, count(DISTINCT p20_id) AS entries
            FROM parts WHERE NOT dol_only AND name_key IS NOT NULL GROUP BY name_key),
        key_lists AS (
            SELECT p20_id, list(name_key ORDER BY name_key) AS key_list, sum(ke.entries) AS key_entries
            FROM candidate_keys LEFT JOIN key_entries AS ke USING (name_key) GROUP BY p20_id),
        key_set_ids AS (
            SELECT key_list, row_number() OVER () AS key_set FROM (SELECT DISTINCT key_list FROM key_lists)),
        key_sets AS (
            SELECT p20_id, key_set, key_entries FROM key_lists JOIN key_set_ids USING (key_list)),
        cells AS (
            SELECT DISTINCT ks.key_set, py.report_year, py.age
            FROM person_years AS py JOIN key_sets AS ks USING (p20_id)),
        plausible AS (
            SELECT c.key_set, c.report_year, c.age, wk.worker, wk.name_key
            FROM (SELECT cells.*, unnest(key_list) AS name_key FROM cells JOIN key_set_ids USING (key_set)) AS c
            JOIN workers AS wk USING (name_key)
            WHERE wk.first_year - c.report_year + c.age >= $first_work_age),
        scored AS (
            SELECT pl.key_set, pl.report_year, pl.age,
                   count(DISTINCT pl.worker) AS namesakes,
                   count(DISTINCT wy.worker) AS paid_namesakes
            FROM plausible AS pl
            LEFT JOIN worker_years AS wy
                ON wy.worker = pl.worker AND wy.name_key = pl.name_key AND wy.year = pl.report_year
            GROUP BY pl.key_set, pl.report_year, pl.age)
        SELECT py.p20_id, py.report_year,
               coalesce(s.namesakes, 0) AS namesakes,
               coalesce(s.paid_namesakes, 0) AS paid_namesakes,
               coalesce(ks.key_entries, 0) AS key_entries
        FROM person_years AS py
        LEFT JOIN key_sets AS ks USING (p20_id)
        LEFT JOIN scored AS s ON s.key_set = ks.key_set AND s.report_year = py.report_year AND s.age = py.age
    """, params={"first_work_age": FIRST_WORK_AGE, "school_agencies": list(SCHOOL_AGENCIES)}).df().merge(
        person_years, on=["p20_id", "report_year"], validate="1:1")


def own_wage_records(parts: pd.DataFrame) -> pd.DataFrame:
    """(p20_id, record_id) of the DOL records carrying an SSN that one of the person's other records
    carries, wherever the index put them: a bridged youth's wages found by SSN alone, so those the
    index left unlinked (a married surname, a misspelt one) still count as theirs. This is the
    measuring rod for the hidden-bridge test, used only inside the hub; it writes no link."""
    return duckdb.sql("""
        WITH bridges AS (
            SELECT DISTINCT p20_id, ssn FROM parts WHERE bridge AND NOT wage_part),
        wage_records AS (
            SELECT DISTINCT record_id, ssn FROM parts WHERE dol_record AND ssn IS NOT NULL)
        SELECT DISTINCT b.p20_id, w.record_id
        FROM bridges AS b JOIN wage_records AS w USING (ssn)
    """).df()


# One keystroke on a 9-digit SSN (a digit changed, or two neighbours swapped) leaves one of these blocks
# intact: two of its three 3-digit groups, or every digit but the two either side of a group boundary.
# Blocking on single 3-digit groups instead left ~600 million pairs to compare at 1.2M persons.
SSN_BLOCKS = ("unnest(['a' || left(ssn, 6), 'b' || right(ssn, 6), 'c' || left(ssn, 3) || right(ssn, 3), "
              "'d' || left(ssn, 2) || right(ssn, 5), 'e' || left(ssn, 5) || right(ssn, 2)])")


def wages_left_apart(parts: pd.DataFrame, wage_years: pd.DataFrame) -> pd.DataFrame:
    """(p20_id, year) in which a youth with an SSN was paid on a wage record the index left on its own
    (an entry made only of DOL records) under the youth's SSN or one a keystroke from it (a digit
    changed, or two neighbours swapped). The index keeps such records apart when the names disagree
    (a married surname; a borrowed SSN looks the same), and a job hidden that way would make a
    bridged youth count as disconnected. Two people's SSNs a keystroke apart are rare (about 90 of
    the billion possible numbers lie that close to any one), and measured on the synthetic homes
    about one such year in 40 was not the youth's; such a year counts as employed in the estimate.
    No link is written: the crosswalk stays as it is."""
    return duckdb.sql(f"""
        WITH apart AS (
            SELECT DISTINCT ssn, FakeID FROM parts WHERE dol_only AND ssn IS NOT NULL),
        own AS (
            SELECT DISTINCT p20_id, ssn FROM parts WHERE bridge AND NOT dol_record),
        own_blocks AS (
            SELECT p20_id, ssn, {SSN_BLOCKS} AS block
            FROM own),
        apart_blocks AS (
            SELECT FakeID, ssn, {SSN_BLOCKS} AS block
            FROM apart),
        near AS (
            SELECT DISTINCT o.p20_id, a.FakeID
            FROM own_blocks AS o JOIN apart_blocks AS a USING (block)
            WHERE damerau_levenshtein(o.ssn, a.ssn) <= 1)
        SELECT DISTINCT near.p20_id, w.year
        FROM near JOIN wage_years AS w USING (FakeID)
    """).df()


def own_ssn_wage_records(parts: pd.DataFrame) -> pd.DataFrame:
    """(record_id) of the pool's wage records under an SSN the hub accepts that no other index entry
    carries: the worker's own, so no youth's job under a foreign SSN can sit on them."""
    pool = parts[parts["dol_only"]]
    entries = parts.dropna(subset=["ssn"]).groupby("ssn")["p20_id"].nunique()
    held = entries.index[entries > 1]
    return pool.loc[pool["ssn"].notna() & ~among(pool["ssn"], held), ["record_id"]]


def foreign_ssn_namesakes(parts: pd.DataFrame, wage_years: pd.DataFrame, youth_years: pd.DataFrame,
                          own: pd.DataFrame, own_ssn: pd.DataFrame) -> pd.DataFrame:
    """`wage_evidence` for youth with an SSN, the pool narrowed to wage records whose SSN may not be their
    worker's own: none the hub accepts (missing, malformed, a known dummy), or one that another index
    entry carries too (a parent's or sibling's SSN under the worker's own name: the index keeps such a
    record apart from the SSN's holder, whose own school, benefit or wage records carry it, because the
    names disagree). A youth's job found nowhere near their SSN may sit on one of these under their
    name. Records under the youth's own SSN are not counted: `wages_left_apart` finds those.
    `own`: `own_wage_records(parts)`; `own_ssn`: `own_ssn_wage_records(parts)`."""
    excluded = pd.concat([own_ssn, own.loc[among(own["p20_id"], youth_years["p20_id"]), ["record_id"]]],
                         ignore_index=True)
    return wage_evidence(parts, wage_years, youth_years, excluded)


def draw_keys(parts: pd.DataFrame) -> pd.Series:
    """Per p20_id, the rank of the smallest of its record ids among all persons': which bootstrap draws a
    person gets. Record ids (agency file and FakeID) stay the same when the same deliveries are linked
    again; p20_ids of a new index do not. A rank, not the string: each bootstrap orders its persons by
    it, and ordering strings there took half a minute of the estimate at 1.2M persons."""
    smallest = parts.groupby("p20_id")["record_id"].min()
    return pd.Series(pd.factorize(smallest, sort=True)[0], index=smallest.index, name="draw_key")


def stranger_namesakes(parts: pd.DataFrame, wage_years: pd.DataFrame, bridged: pd.DataFrame,
                       own: pd.DataFrame) -> pd.DataFrame:
    """`wage_evidence` for bridged youth-years with their own wage records (`own_wage_records`) out of
    the pool: how many strangers share a youth's name key and were paid, as an SSN-less youth would
    meet them. Only youth who would still be in the index without their SSN-bearing records (some
    record of theirs carries neither an SSN nor is a DOL record) can stand in for an SSN-less youth.
    `own`: `own_wage_records(parts)`."""
    keyed = parts.loc[~parts["dol_record"] & ~parts["bridge"] & parts["name_key"].notna(), "p20_id"]
    bridged = bridged[among(bridged["p20_id"], keyed)]
    return wage_evidence(parts, wage_years, bridged, own.loc[among(own["p20_id"], bridged["p20_id"]), ["record_id"]])


def _commonness(frame: pd.DataFrame) -> np.ndarray:
    """The class of `NAME_COMMONNESS` of each row's `key_entries`."""
    return np.searchsorted(np.asarray(NAME_COMMONNESS), frame["key_entries"].to_numpy(), side="left")


def _stratum(frame: pd.DataFrame) -> np.ndarray:
    """How common the name is x age now (two-year bands: a marriage changes the surname on wage
    records, not on school records) x sex."""
    band = np.searchsorted(np.asarray(AGE_NOW_BANDS), frame["age_now"].to_numpy(), side="left")
    sex = pd.Categorical(frame["sex"], categories=SEXES[:2]).codes  # -1: neither F nor M
    return (_commonness(frame) * (len(AGE_NOW_BANDS) + 1) + band) * len(SEXES) + np.where(sex < 0, 2, sex)


def _person_weights(keys: pd.Series, replicates: int, rng: np.random.Generator) -> np.ndarray:
    """Poisson bootstrap weights per row (column 0: the point estimate, weight 1), one draw per person
    shared by their rows, persons taken in the order of their draw keys."""
    persons, row = np.unique(keys.to_numpy(), return_inverse=True)
    # per person first (weight 1, then the draws), then one gather to rows: gathering the integer draws and
    # joining the ones column after took 2.6-4.0 s against 1.0-1.1 s for 1.8M rows of 600,000 persons
    weights = np.empty((len(persons), replicates + 1))
    weights[:, 0] = 1.0
    weights[:, 1:] = rng.poisson(1.0, (len(persons), replicates))
    return np.take(weights, row, axis=0)


def _weighted_counts(index: np.ndarray, size: int, weights: np.ndarray) -> np.ndarray:
    """Column sums of `weights` per value of `index` (0 <= index < size), as one sparse product:
    `np.add.at` took minutes inside the employment fit at 1.2M persons."""
    rows = scipy.sparse.csr_matrix((np.ones(len(index)), (index, np.arange(len(index)))), shape=(size, len(index)))
    return np.asarray(rows @ weights)


def _binomial(k: np.ndarray, n: np.ndarray, p: float | np.ndarray) -> np.ndarray:
    """P(k of n paid), broadcast; zero outside 0 <= k <= n."""
    return np.where((k >= 0) & (k <= n), scipy.stats.binom.pmf(np.clip(k, 0, None), n, p), 0.0)


def _reference_rates(reference: pd.DataFrame, cell_list: pd.MultiIndex, band_of_cell: np.ndarray, bands: int,
                     replicates: int, rng: np.random.Generator) -> np.ndarray:
    """The employed share of `reference` per (age band, report year) cell of `cell_list` (rows) and
    replicate (columns; Poisson bootstrap over persons), shrunk towards its age band's share over all
    years by `REFERENCE_PRIOR_WEIGHT` pseudo-observations, and that towards the overall share: a cell
    with few or no reference youth-years takes its band's rate. Kept off 0 and 1 (a log-odds anchor)."""
    weights = _person_weights(reference["draw_key"], replicates, rng)
    row_cell = cell_list.get_indexer(pd.MultiIndex.from_frame(reference[["age_band", "report_year"]]))
    inside = row_cell >= 0
    weights, row_cell = weights[inside], row_cell[inside]
    employed = weights * reference["employed"].to_numpy(bool)[inside, None]
    cell_employed = _weighted_counts(row_cell, len(cell_list), employed)
    cell_total = _weighted_counts(row_cell, len(cell_list), weights)
    overall = (cell_employed.sum(axis=0) + 0.5) / (cell_total.sum(axis=0) + 1.0)
    band = ((_weighted_counts(band_of_cell, bands, cell_employed) + REFERENCE_PRIOR_WEIGHT * overall)
            / (_weighted_counts(band_of_cell, bands, cell_total) + REFERENCE_PRIOR_WEIGHT))
    rate = (cell_employed + REFERENCE_PRIOR_WEIGHT * band[band_of_cell]) / (cell_total + REFERENCE_PRIOR_WEIGHT)
    return np.clip(rate, 1e-4, 1 - 1e-4)


def employment_probabilities(strangers: pd.DataFrame, target: pd.DataFrame, reference: pd.DataFrame,
                             replicates: int = REPLICATES, seed: int = SEED) -> tuple[np.ndarray, pd.DataFrame]:
    """P(employed) per target youth-year (rows) and replicate (columns; 0 = point estimate).

    `strangers`: bridged youth-years with `namesakes`/`paid_namesakes` counted without their own
    wages (`stranger_namesakes`); `target`: undecided youth-years with `namesakes`, `paid_namesakes`,
    `age_now`, `sex`, `age_band`, `report_year`; both with the person's `draw_key`.

    A youth's own wages, if they ever worked, sit with one wage-only worker whose name key is either
    theirs (then that worker is one of their namesakes) or not (a misspelt or married surname:
    share `q`). Their namesakes are that worker, if the key matches, plus strangers, whose number
    (distribution `h`) and chance of being paid in a report year (`r`) are measured on bridged youth with
    their own wages taken out. `q` is fitted per stratum (shrunk towards its age-now band and sex) to
    the target's own namesake counts (P(n) = (1 - q) h(n - 1) + q h(n)), so it needs no assumption that
    SSN-less youth misspell or marry like bridged youth do. The employment rate `p` per age band and report year is then
    found by expectation-maximisation, each youth-year weighing whether one of its paid or unpaid
    namesakes is the youth's own worker; a youth whose worker cannot be found (key changed)
    counts at `p`, which assumes that a changed surname says nothing about working. `h` and `r`
    (and `q`) are per class of name commonness too (`key_entries`), and `p` is fitted on the youth-years
    with at most `NAMESAKE_CAP` namesakes; the rest count at `p`, which assumes that employment
    does not depend on how common a name is within an age band and year.
    `p` follows the year-to-year course of `reference` (bridged youth-years of the same kind, whose
    jobs the index finds: `employed`, `age_band`, `report_year`, `draw_key`) with one log-odds offset
    per age band fitted by the EM: a few hundred undecided youth-years a year carry little evidence
    (bridged ones number thousands), and fitted freely per year the demo population's yearly rate ran
    up to 5.8 points below truth; anchored, at most 3.4; at 1.2M persons the free rate's error drifted
    from 1,200 youth-years too few employed (2015) to 900 too many (2023), the anchored one's stayed
    within 50-650 too many (all with q per stratum, unshrunk). This assumes that SSN-less youth's
    employment rises and falls with bridged youth's; its level is their own.
    Replicates are Poisson bootstraps over bridged and target persons, each person's draws taken in
    the order of their `draw_key` (`draw_keys`: stable across builds of the same data, unlike p20_ids,
    which a new index salts afresh), so the same data give the same interval.
    """
    rng = np.random.default_rng(seed)
    classes = len(NAME_COMMONNESS) + 1
    strata = classes * (len(AGE_NOW_BANDS) + 1) * len(SEXES)
    columns = replicates + 1
    # strangers: h(j | stratum), smoothed towards the pooled distribution, and r
    known = _person_weights(strangers["draw_key"], replicates, rng)
    others = strangers["namesakes"].clip(upper=NAMESAKE_CAP).to_numpy()
    counts = _weighted_counts(_stratum(strangers) * (NAMESAKE_CAP + 1) + others, strata * (NAMESAKE_CAP + 1),
                              known).reshape(strata, NAMESAKE_CAP + 1, columns)
    pooled = counts.sum(axis=0, keepdims=True) / counts.sum(axis=(0, 1), keepdims=True)
    h = (counts + STRANGER_PRIOR_WEIGHT * pooled) / (counts.sum(axis=1, keepdims=True) + STRANGER_PRIOR_WEIGHT)
    # r per report year (a stranger is likelier to be paid in a year the more of the pool is young then)
    # and name commonness, measured where the target's evidence is read: on namesake counts within the cap
    years = np.union1d(strangers["report_year"].to_numpy(), target["report_year"].to_numpy())
    year_of_stranger = np.searchsorted(years, strangers["report_year"].to_numpy()) * classes + _commonness(strangers)
    within_cap = known * (strangers["namesakes"].to_numpy() <= NAMESAKE_CAP)[:, None]
    paid_strangers = _weighted_counts(year_of_stranger, len(years) * classes,
                                      within_cap * strangers["paid_namesakes"].to_numpy()[:, None])
    all_strangers = _weighted_counts(year_of_stranger, len(years) * classes,
                                     within_cap * strangers["namesakes"].to_numpy()[:, None])
    overall = paid_strangers.sum(axis=0) / np.maximum(all_strangers.sum(axis=0), 1.0)
    r_by_year = (paid_strangers + STRANGER_PRIOR_WEIGHT * overall) / (all_strangers + STRANGER_PRIOR_WEIGHT)

    # q per stratum, maximum likelihood over a grid from the target's namesake counts, shrunk towards its
    # age-now band and sex over all classes of name commonness by `NAME_CHANGE_PRIOR_ROWS` youth-years' worth
    # of that group's likelihood (empirical Bayes). Fitted per stratum alone, q ran low in small strata where
    # one namesake chanced to be common, the very youth-years it then read as holding their own unpaid
    # worker (demo, about 34 youth-years a stratum: 0.17 fitted employment for one unpaid namesake, 0.28
    # true); pooled over the classes alone, it missed how differently common names fit at 1.2M persons
    # (employment of the undecided 16,500 youth-years too high over 2015-2025, against 2,800 per stratum).
    weights = _person_weights(target["draw_key"], replicates, rng)
    stratum = _stratum(target)
    namesakes = target["namesakes"].to_numpy()
    n = np.minimum(namesakes, NAMESAKE_CAP)  # the class; the binomials below use the full count
    seen = _weighted_counts(stratum * (NAMESAKE_CAP + 1) + n, strata * (NAMESAKE_CAP + 1),
                            weights).reshape(strata, NAMESAKE_CAP + 1, columns)
    shifted = np.concatenate([np.zeros((strata, 1, columns)), h[:, :-1]], axis=1)
    shifted[:, -1] += h[:, -1]  # the capped class: own worker plus at least CAP - 1 strangers
    grid = np.linspace(0.0, 0.95, 96)[:, None, None, None]
    likelihood = (seen * np.log((1 - grid) * shifted + grid * h + 1e-12)).sum(axis=2)
    groups = (len(AGE_NOW_BANDS) + 1) * len(SEXES)  # strata run class-major (see _stratum)
    group_likelihood = likelihood.reshape(len(grid), classes, groups, columns).sum(axis=1)
    group_rows = seen.sum(axis=1).reshape(classes, groups, columns).sum(axis=0)
    group_prior = NAME_CHANGE_PRIOR_ROWS * group_likelihood / np.maximum(group_rows, 1e-12)
    q = grid[np.argmax(likelihood + np.tile(group_prior, (1, classes, 1)), axis=0), 0, 0, 0]  # strata x columns

    # P(own worker among the namesakes | n), then EM for p per (age band, report year). Youth-years alike in
    # stratum, cell, report year and name commonness, namesakes and paid namesakes have the same likelihoods:
    # they are computed once per such pattern, and the EM weighs each pattern by its rows' bootstrap weights
    # summed (row by row, the EM took a quarter of the estimate at 1.2M persons).
    cell_keys = pd.MultiIndex.from_frame(target[["age_band", "report_year"]])
    cell_list = cell_keys.unique().sort_values()
    cells = len(cell_list)
    year_class = np.searchsorted(years, target["report_year"].to_numpy()) * classes + _commonness(target)
    paid_namesakes = np.minimum(target["paid_namesakes"].to_numpy(), namesakes)
    patterns, pattern_of_row = np.unique(
        np.stack([stratum, cell_list.get_indexer(cell_keys), year_class, namesakes, paid_namesakes], axis=1),
        axis=0, return_inverse=True)
    # from here on one row per pattern
    pattern_stratum, cell, pattern_year_class, pattern_namesakes, pattern_paid = patterns.T
    pattern_class = np.minimum(pattern_namesakes, NAMESAKE_CAP)
    own_prior = (1 - q[pattern_stratum]) * shifted[pattern_stratum, pattern_class]
    absent_prior = q[pattern_stratum] * h[pattern_stratum, pattern_class]
    own = np.where(pattern_class[:, None] == 0, 0.0, own_prior / np.maximum(own_prior + absent_prior, 1e-12))
    paid = pattern_paid[:, None]
    r = r_by_year[pattern_year_class]
    strangers_if_own = np.maximum(pattern_namesakes - 1, 0)[:, None]
    band_of_cell, cell_bands = pd.factorize(cell_list.get_level_values(0))
    anchor = scipy.special.logit(_reference_rates(reference, cell_list, band_of_cell, len(cell_bands), replicates, rng))
    offset = np.zeros((len(cell_bands), columns))
    p = scipy.special.expit(anchor)
    # the strangers' part of each case does not depend on p: computed once, not in every iteration
    own_paid_strangers = own * _binomial(paid - 1, strangers_if_own, r)  # own is 0 without namesakes
    own_unpaid_strangers = own * _binomial(paid, strangers_if_own, r)
    absent = (1 - own) * _binomial(paid, pattern_namesakes[:, None], r)
    # Beyond the cap, one more or fewer paid namesake says next to nothing about the youth's own worker,
    # and a stranger rate off by a point moves the fit by far more than the youth's own job: p is fitted
    # on the youth-years within the cap, and the others count at their cell's p.
    informative = (pattern_namesakes <= NAMESAKE_CAP)[:, None]
    pattern_weights = _weighted_counts(pattern_of_row.reshape(-1), len(patterns), weights) * informative
    cell_weights = np.maximum(_weighted_counts(cell, cells, pattern_weights), 1e-12)
    for _ in range(EM_ITERATIONS):
        prior = p[cell]
        own_paid = prior * own_paid_strangers
        own_unpaid = (1 - prior) * own_unpaid_strangers
        probability = (own_paid + absent * prior) / np.maximum(own_paid + own_unpaid + absent, 1e-300)
        employed_in_cell = _weighted_counts(cell, cells, pattern_weights * probability)
        for _ in range(NEWTON_STEPS):  # the offsets solve: fitted employed = expected employed, per band
            slope = cell_weights * p * (1 - p)
            offset += (_weighted_counts(band_of_cell, len(cell_bands), employed_in_cell - cell_weights * p)
                       / np.maximum(_weighted_counts(band_of_cell, len(cell_bands), slope), 1e-12))
            p = scipy.special.expit(anchor + offset[band_of_cell])
    probability = np.where(informative, probability, p[cell])[pattern_of_row.reshape(-1)]

    class_and_band, sex_of = np.divmod(np.arange(strata), len(SEXES))
    class_of, band_of = np.divmod(class_and_band, len(AGE_NOW_BANDS) + 1)
    commonness = ["1"] + [f"{low + 1}-{high}" for low, high in zip(NAME_COMMONNESS, NAME_COMMONNESS[1:])] \
        + [f">={NAME_COMMONNESS[-1] + 1}"]
    bands = [f"<={AGE_NOW_BANDS[0]}"] + [f"{low + 1}-{high}" for low, high in zip(AGE_NOW_BANDS, AGE_NOW_BANDS[1:])] \
        + [f">={AGE_NOW_BANDS[-1] + 1}"]
    parameters = pd.DataFrame({
        "name_commonness": [commonness[c] for c in class_of],
        "age_now_band": [bands[b] for b in band_of], "sex": [SEXES[x] for x in sex_of],
        "undecided_youth_years": seen[:, :, 0].sum(axis=1).astype(int),
        "without_namesake_share": (seen[:, 0, 0] / np.maximum(seen[:, :, 0].sum(axis=1), 1)).round(4),
        "bridged_youth_years": counts[:, :, 0].sum(axis=1).astype(int),
        "no_stranger_share": h[:, 0, 0].round(4),
        "name_changed_share": q[:, 0].round(4),
        "stranger_paid_rate": np.full(strata, round(float(overall[0]), 4))})
    return probability, parameters


def lost_job_probabilities(reference: pd.DataFrame, candidates: pd.DataFrame, replicates: int = REPLICATES,
                           seed: int = SEED + 2) -> np.ndarray:
    """P(the youth worked that year, on a wage record under an SSN not their own), per candidate row
    and replicate (column 0: point estimate).

    `candidates`: youth-years with an SSN whose status rests on a job not found; `reference`: youth-years
    with an SSN whose job was found; both with `paid_namesakes` from `foreign_ssn_namesakes` and their
    `draw_key`. A reference youth's namesakes paid under foreign SSNs are strangers (their own job is
    known), so they give the strangers' rate per report year (Poisson). A candidate's count is those
    strangers plus, with a share fitted by expectation-maximisation on the candidates, their own
    worker. Measured on the bench homes before this: about 6 such youth-years a year (2-4% of the
    disconnected) counted disconnected while they worked, most of their jobs under a relative's SSN
    or an invalid one, with the youth's own surname and first initial.
    """
    rng = np.random.default_rng(seed)
    known = _person_weights(reference["draw_key"], replicates, rng)
    weights = _person_weights(candidates["draw_key"], replicates, rng)
    years = np.union1d(reference["report_year"].to_numpy(), candidates["report_year"].to_numpy())
    year_of = np.searchsorted(years, reference["report_year"].to_numpy())
    paid = _weighted_counts(year_of, len(years), known * reference["paid_namesakes"].to_numpy()[:, None])
    seen = _weighted_counts(year_of, len(years), known)
    overall = paid.sum(axis=0) / np.maximum(seen.sum(axis=0), 1.0)
    rate = (paid + STRANGER_PRIOR_WEIGHT * overall) / (seen + STRANGER_PRIOR_WEIGHT)
    rate = rate[np.searchsorted(years, candidates["report_year"].to_numpy())]
    count = candidates["paid_namesakes"].to_numpy()[:, None]
    share = np.full(replicates + 1, 0.05)
    own_worker_paid = scipy.stats.poisson.pmf(count - 1, rate)  # zero without a paid namesake
    strangers_only = scipy.stats.poisson.pmf(count, rate)
    for _ in range(EM_ITERATIONS):
        own = share * own_worker_paid
        probability = own / np.maximum(own + (1 - share) * strangers_only, 1e-300)
        share = (weights * probability).sum(axis=0) / np.maximum(weights.sum(axis=0), 1e-12)
    return probability


def _share_draws(rows: pd.DataFrame, flag: pd.Series, target: pd.DataFrame, replicates: int,
                 rng: np.random.Generator, prior: np.ndarray | None = None) -> np.ndarray:
    """The share of `rows` with `flag` in the target row's report year and age: point estimate and
    beta draws, one column per replicate. Without `prior`, a Jeffreys prior; with it (a share per
    target row, the same within a cell), `ACTIVITY_PRIOR_WEIGHT` pseudo-observations at that share,
    so a cell with few rows keeps close to it.

    One draw per (report year, age) cell, shared by the cell's rows: the share is one unknown for all
    of them, and drawing over the sorted cells makes the replicates independent of row order."""
    rates = flag.groupby([rows["report_year"], rows["age"]]).agg(["sum", "count"])
    keys = pd.MultiIndex.from_frame(target[["report_year", "age"]])
    cells = keys.unique().sort_values()
    cell_of_row = cells.get_indexer(keys)
    hits = rates["sum"].reindex(cells).fillna(0).to_numpy(float)
    total = rates["count"].reindex(cells).fillna(0).to_numpy(float)
    if prior is None:
        yes, no = hits + 0.5, total - hits + 0.5
    else:
        share = pd.Series(prior).groupby(cell_of_row).first().to_numpy()  # every cell holds a target row
        yes, no = hits + ACTIVITY_PRIOR_WEIGHT * share, total - hits + ACTIVITY_PRIOR_WEIGHT * (1.0 - share)
    draws = rng.beta(yes[:, None], no[:, None], (len(cells), replicates))
    point = yes / (yes + no)
    return np.concatenate([point[cell_of_row][:, None], draws[cell_of_row]], axis=1)


def _before_school_records(person_years: pd.DataFrame, target: pd.DataFrame, first_school_year: int | None,
                           replicates: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Per target row: the share of the (report year, age) cell's unknown-diploma youth who are in fact
    Connecticut public-school students who left before the school records begin (`before`), and the
    share of those with a diploma (`diploma`, replicate draws), for cohorts older than the records.

    A cohort that was 14 or older when the records begin (`first_school_year`, the earliest fall in
    the SDE file) lost its students who left school before then to "never in a CT public school",
    and those still in school then, the ones seen, are mostly graduates. Cohorts seen whole give the
    share of unknown diplomas a cell should hold at each age and the share with a diploma among
    public-school youth; a partly seen cohort's excess of unknowns is its unseen students, and their
    diplomas are the cohort's expected ones less those seen (residual allocation). Measured on the
    bench homes before this: the oldest cohorts' unknown diplomas were 50-87% diplomas against the
    96-99% assumed, which made 2015-2016 estimates run up to 7% low."""
    none = np.zeros(len(target)), np.zeros((len(target), replicates + 1))
    if first_school_year is None:
        return none
    out = person_years[~person_years["enrolled_k12"] & ~person_years["presumed_in_school_elsewhere"]]
    cells = out.assign(unknown=out["diploma_status"] == "unknown").groupby(["report_year", "age"]).agg(
        youth=("unknown", "size"), unknown=("unknown", "sum"), diplomas=("has_diploma", "sum")).reset_index()
    cells["seen"] = cells["youth"] - cells["unknown"]
    seen_whole = cells["report_year"] - cells["age"] >= first_school_year - 13
    by_age = cells[seen_whole].groupby("age")[["unknown", "youth", "diplomas", "seen"]].sum()
    cells = cells.join(by_age.add_suffix("_whole"), on="age")
    expected_unknown = cells["youth"] * cells["unknown_whole"] / cells["youth_whole"]
    unseen_students = np.where(seen_whole, 0.0, np.maximum(cells["unknown"] - expected_unknown, 0.0))
    graduation = rng.beta(cells["diplomas_whole"].to_numpy()[:, None] + 0.5,
                          (cells["seen_whole"] - cells["diplomas_whole"]).to_numpy()[:, None] + 0.5,
                          (len(cells), replicates))
    graduation = np.concatenate([(cells["diplomas_whole"] / cells["seen_whole"]).to_numpy()[:, None], graduation], axis=1)
    # the cohort's own diplomas: its share drawn, then its count (binomial around the share)
    students = np.round(cells["seen"].to_numpy() + unseen_students).astype(int)
    graduates = np.concatenate([students[:, None] * graduation[:, :1],
                                rng.binomial(students[:, None], graduation[:, 1:])], axis=1)
    expected = graduates - cells["diplomas"].to_numpy()[:, None]
    unseen_diploma = np.clip(expected, 0.0, unseen_students[:, None]) / np.maximum(unseen_students, 1e-12)[:, None]
    unseen_diploma = np.nan_to_num(unseen_diploma)  # ages no whole cohort was seen at: no correction
    before = np.nan_to_num(unseen_students / np.maximum(cells["unknown"].to_numpy(), 1))
    row = pd.MultiIndex.from_frame(cells[["report_year", "age"]]).get_indexer(
        pd.MultiIndex.from_frame(target[["report_year", "age"]]))
    inside = (row >= 0) & ~target["presumed_in_school_elsewhere"].to_numpy(bool)
    before_share, diploma = none
    before_share[inside] = before[row[inside]]
    diploma[inside] = unseen_diploma[row[inside]]
    return before_share, diploma


def activity(frame: pd.DataFrame) -> np.ndarray:
    """What a youth-year was seen doing out of school (one of `ACTIVITIES`): college or training, a job,
    or neither."""
    return np.select([frame["postsecondary"] | frame["training"], frame["employed"]], list(ACTIVITIES[:2]),
                     ACTIVITIES[2])


def diploma_probabilities(person_years: pd.DataFrame, target: pd.DataFrame, replicates: int = REPLICATES,
                          seed: int = SEED, first_school_year: int | None = None) -> dict[str, np.ndarray]:
    """Per activity (`ACTIVITIES`), per target row and replicate: the probability that the missing
    diploma does not make the youth disconnected, were the youth doing that. 1 for a CT diploma; for
    a youth never in CT public school past the on-time graduation year, the share with a diploma among
    out-of-school youth of the same age and report year seen in CT public schools doing the same
    (measured on the bench homes: 96% of those with a job held a diploma against 88% of those with
    none at 22-26, and every college student; one share for all put employed youth with an unknown
    diploma at 94% against a true 98%), shrunk towards the share among all of them; for one presumed
    in school elsewhere, one minus the share of such youth out of school without a diploma (a dropout
    is disconnected). Beta draws carry the binomial uncertainty; that youth who moved in finish school
    as often as those who grew up here is an assumption the data cannot check. In cohorts older than
    the school records, part of the unknown diplomas are students who left before the records begin
    (`_before_school_records`)."""
    rng = np.random.default_rng(seed + 1)
    seen = person_years[person_years["diploma_status"] != "unknown"]
    out_of_school = seen[~seen["enrolled_k12"]]
    overall = _share_draws(out_of_school, out_of_school["has_diploma"], target, replicates, rng)[:, 0]
    seen_doing = activity(out_of_school)
    dropout = _share_draws(seen, ~seen["enrolled_k12"] & ~seen["has_diploma"], target, replicates, rng)
    before, before_diploma = _before_school_records(person_years, target, first_school_year, replicates, rng)
    elsewhere = target["presumed_in_school_elsewhere"].to_numpy()[:, None]
    known = (target["diploma_status"] != "unknown").to_numpy()
    shares = {}
    for doing in ACTIVITIES:
        rows = out_of_school[seen_doing == doing]
        diploma = _share_draws(rows, rows["has_diploma"], target, replicates, rng, prior=overall)
        probability = np.where(elsewhere, 1.0 - dropout, diploma)
        probability = (1.0 - before[:, None]) * probability + before[:, None] * before_diploma
        probability[known] = 1.0
        shares[doing] = probability
    return shares


def job_decides_status(person_years: pd.DataFrame) -> pd.Series:
    """Out-of-school youth-years, not incarcerated, with a diploma or presumed to hold one, and in no
    college or training: connected with a job, disconnected without."""
    diploma_presumed = person_years["has_diploma"] | (
        (person_years["diploma_status"] == "unknown") & ~person_years["presumed_in_school_elsewhere"])
    return (~person_years["enrolled_k12"] & diploma_presumed & ~person_years["postsecondary"]
            & ~person_years["training"] & ~person_years["incarcerated"])


def status_rests_on_wages(person_years: pd.DataFrame) -> pd.Series:
    """`job_decides_status` and no job found: a job found would make them connected."""
    return job_decides_status(person_years) & ~person_years["employed"]


def job_decides_severity(person_years: pd.DataFrame) -> pd.Series:
    """Out-of-school youth-years, not incarcerated, known to hold no diploma: disconnected, severely so
    without a job."""
    known_without_diploma = ~person_years["has_diploma"] & (person_years["diploma_status"] != "unknown")
    return ~person_years["enrolled_k12"] & known_without_diploma & ~person_years["incarcerated"]


def severity_rests_on_unlinkable_wages(person_years: pd.DataFrame) -> pd.Series:
    """`job_decides_severity`, no job found and no SSN anywhere: severely disconnected (no diploma, no
    job) unless a wage record no linkage could find shows a job, which would make them moderately
    disconnected."""
    return job_decides_severity(person_years) & ~person_years["employed"] & ~person_years["wage_linkable"]


def undecided_rows(person_years: pd.DataFrame) -> pd.Series:
    """Youth-years whose disconnected/connected status rests on unlinkable wages or an unknown diploma."""
    return person_years["status_rests_on_unlinkable_wages"] | (
        person_years["status_rests_on_unknown_diploma"] & (person_years["status"] == "connected"))


def estimate_unseen(records: pd.DataFrame, crosswalk: pd.DataFrame, wage_years: pd.DataFrame,
                    person_years: pd.DataFrame, replicates: int = REPLICATES,
                    first_school_year: int | None = None) -> UnseenEstimate:
    """The probabilities the hub publishes (see the module docstring).

    `records`/`crosswalk`: the hub's mpi tables; `wage_years`: FakeID, year of every DOL UI wage
    row with wages above zero; `person_years`: `marts.disconnected_youth_person_year`;
    `first_school_year`: the earliest fall in the SDE file (None: no cohort is older than the records).
    """
    parts = _person_parts(records, crosswalk)
    person_years = person_years.assign(age_now=person_years["age"] + person_years["report_year"].max()
                                       - person_years["report_year"])
    out_of_school = person_years[~person_years["enrolled_k12"]]
    bridged = out_of_school[out_of_school["wage_linkable"]][["p20_id", "report_year", "age", "age_now", "sex"]]
    keys = draw_keys(parts)
    own = own_wage_records(parts)
    strangers = stranger_namesakes(parts, wage_years, bridged, own).join(keys, on="p20_id")

    undecided = person_years[undecided_rows(person_years)]
    # Youth-years with an SSN whose status rests on a job the index did not find, paid on a wage
    # record it left apart: employed, so they need only the diploma, as those seen active do.
    left_apart = wages_left_apart(parts, wage_years).rename(columns={"year": "report_year"})
    # bridged youth-years whose status a job decides: the course of employment over the years (below)
    reference = person_years[job_decides_status(person_years) & person_years["wage_linkable"]].join(keys, on="p20_id")
    bridged_without_job = person_years.loc[reference.index[~reference["employed"]]]
    hidden_job = bridged_without_job.merge(left_apart, on=["p20_id", "report_year"])
    # The others of them may have worked under an SSN not their own (`lost_job_probabilities`).
    job_not_found = bridged_without_job.merge(
        hidden_job[["p20_id", "report_year"]], how="left", indicator=True).query("_merge == 'left_only'")
    employed_bridged = out_of_school[out_of_school["wage_linkable"] & out_of_school["employed"]]
    own_ssn = own_ssn_wage_records(parts)
    candidates = foreign_ssn_namesakes(parts, wage_years, job_not_found[["p20_id", "report_year", "age"]], own,
                                       own_ssn).merge(
        job_not_found.drop(columns=["age", "_merge"]), on=["p20_id", "report_year"], validate="1:1")
    lost_job = lost_job_probabilities(
        foreign_ssn_namesakes(parts, wage_years, employed_bridged[["p20_id", "report_year", "age"]], own, own_ssn).join(
            keys, on="p20_id"), candidates.join(keys, on="p20_id"), replicates)
    # Kept: those whose job may be under another SSN, and those whose diploma is unknown (disconnected
    # either way; severe if they hold no diploma and did not work: the records alone call them moderate).
    possibly_lost = (lost_job[:, 0] > 0) | (candidates["diploma_status"] == "unknown").to_numpy()
    target = pd.concat([
        wage_evidence(parts, wage_years, undecided[["p20_id", "report_year", "age"]]).merge(
            undecided.drop(columns=["age"]), on=["p20_id", "report_year"], validate="1:1"),
        hidden_job.assign(namesakes=0, paid_namesakes=0, employed=True),
        candidates[possibly_lost]], ignore_index=True).join(keys, on="p20_id")
    # Youth-years resting on unlinkable wages need employment fitted, those with an SSN and no job found
    # have it (`lost_job`); the rest were seen active (employed, in college or training) or paid on a wage record
    # left apart, and need only the diploma.
    employed = np.ones((len(target), replicates + 1))
    unseen = target["status_rests_on_unlinkable_wages"].to_numpy(bool)
    employed[unseen], parameters = employment_probabilities(strangers, target[unseen], reference, replicates)
    fitted = unseen.copy()
    fitted[len(target) - possibly_lost.sum():] = True
    employed[len(target) - possibly_lost.sum():] = lost_job[possibly_lost]
    # The diploma share follows what the youth-year was seen doing; where the job is fitted, the share of
    # youth with a job counts with it and that of youth doing nothing with its absence.
    diplomas = diploma_probabilities(person_years, target, replicates, first_school_year=first_school_year)
    seen_doing = activity(target)
    as_seen = np.select([(seen_doing == doing)[:, None] for doing in ACTIVITIES],
                        [diplomas[doing] for doing in ACTIVITIES])
    diploma = np.where(fitted[:, None], diplomas["job"], as_seen)
    diploma_if_idle = np.where(fitted[:, None], diplomas.pop("none"), as_seen)
    del diplomas, as_seen  # rows x replicates each: at 1.2M persons 240 MB apiece, the estimate's peak
    # Severely disconnected: no diploma and no job. Seen active in college or training only (or
    # presumed in school elsewhere) is no job: such a youth without a diploma counts as severe.
    jobless = np.where(fitted[:, None], 1.0 - employed, ~target["employed"].to_numpy(bool)[:, None])

    # Dropouts whose wages could not be linked: disconnected either way, severe unless they work.
    # Their employment rate is fitted on its own (dropouts work less often than graduates).
    dropouts = person_years[severity_rests_on_unlinkable_wages(person_years)]
    if len(dropouts):
        dropouts = wage_evidence(parts, wage_years, dropouts[["p20_id", "report_year", "age"]]).merge(
            dropouts.drop(columns=["age"]), on=["p20_id", "report_year"], validate="1:1").join(keys, on="p20_id")
        dropout_reference = person_years[job_decides_severity(person_years) & person_years["wage_linkable"]]
        dropout_employed, dropout_parameters = employment_probabilities(
            strangers, dropouts, dropout_reference.join(keys, on="p20_id"), replicates, SEED + 1)
        target = pd.concat([target, dropouts], ignore_index=True)
        employed = np.concatenate([employed, dropout_employed])
        diploma = np.concatenate([diploma, np.zeros_like(dropout_employed)])
        diploma_if_idle = np.concatenate([diploma_if_idle, np.zeros_like(dropout_employed)])
        jobless = np.concatenate([jobless, 1.0 - dropout_employed])
        parameters = pd.concat([parameters.assign(population="diploma held or presumed"),
                                dropout_parameters.assign(population="no diploma")], ignore_index=True)
    # One row per youth-year and replicate (30M at 1.2M persons): the arrays are combined in place and
    # the float columns written straight into the frame's one block, and p20_id is categorical (a code
    # per row, not a string), so the table costs its own size once.
    columns = replicates + 1
    block = np.empty((4, diploma.size))
    p_disconnected, p_employed_unseen, p_diploma, p_severe = (row.reshape(diploma.shape) for row in block)
    np.multiply(diploma, employed, out=p_diploma)
    np.subtract(1.0, p_diploma, out=p_disconnected)
    p_employed_unseen[:] = employed
    not_employed = np.subtract(1.0, employed, out=employed)  # in place: employed is not read again
    p_diploma += not_employed * diploma_if_idle
    np.subtract(1.0, diploma_if_idle, out=p_severe)
    p_severe *= jobless
    del diploma, diploma_if_idle, employed, not_employed, jobless
    np.round(block, 5, out=block)
    p20_codes, p20_ids = pd.factorize(target["p20_id"], sort=True)
    probabilities = pd.DataFrame(block.T, columns=["p_disconnected", "p_employed_unseen", "p_diploma", "p_severe"],
                                 copy=False)
    probabilities.insert(0, "p20_id", pd.Categorical.from_codes(np.repeat(p20_codes, columns), p20_ids))
    probabilities.insert(1, "report_year", np.repeat(target["report_year"].to_numpy(), columns).astype("int32"))
    probabilities.insert(2, "replicate", np.tile(np.arange(columns, dtype="int16"), len(target)))
    return UnseenEstimate(probabilities, parameters)
