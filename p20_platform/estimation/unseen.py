"""How likely each youth-year whose status the data cannot decide is really disconnected.

Two gaps leave a youth-year's status undecided (see `marts.disconnected_youth_person_year`):

- unlinkable wages: no record of the youth carries an SSN, so UI wage records (SSN, surname,
  first initial, no date of birth) can never be joined to them, and "no job found" is an absence
  of evidence. Such youth-years count as disconnected only because no wage record was found.
- unknown diploma: the youth was never in a Connecticut public school, so whether they hold a
  diploma (from elsewhere, a private school, home schooling) is unknown.

The estimator, chosen by measuring the alternatives against the synthetic truth (README, "The
disconnected-youth estimate"), works in the hub, where identifiers may be used, and lets only a
probability per youth-year leave it:

1. Evidence. The wage-only persons of the index (entries made only of DOL records without a date
   of birth: the wage records nobody could link) are candidate jobs of the SSN-less youth. A
   youth-year has *wage evidence* when a wage-only person with the same surname and first initial
   was paid in that year and was at least 15 when first paid (older namesakes, paid before the
   youth could work, do not count). Evidence is a noisy test: a namesake's job looks like theirs
   (false positive), and a changed or misspelt surname hides their own (false negative).
2. Error rates measured inside the data. For youth who *do* have an SSN bridge, we know whether
   they worked. Hiding their bridge (their DOL records become one more wage-only person, their
   other records one more SSN-less candidate) and re-running the test gives its sensitivity
   (share of workers with evidence) and specificity (share of non-workers without), per stratum
   of what drives the errors: age band and how many wage-only namesakes the youth has. A quarter
   of the bridged youth is hidden at a time so the namesake pool stays realistic.
3. Correction. In each age band and report year, the share of undecided youth-years with evidence
   is corrected for those error rates (Rogan & Gladen 1978: true rate = (apparent + Sp - 1) /
   (Se + Sp - 1)); Bayes' rule then gives each youth-year its probability of employment given its
   own evidence. The correction does not assume SSN-less youth work as often as bridged youth do
   (they do not: bridges come from benefit, treatment and custody records); it assumes only that
   the test errs on them as it errs on the bridged.
4. Unknown diplomas (youth never in a CT public school). Past the on-time graduation year, the
   probability of holding a diploma is the share with one among out-of-school youth of the same
   age and report year seen in CT public schools; before it (presumed in school elsewhere), the
   probability of being a dropout is the share of such youth out of school without a diploma;
   each with its binomial uncertainty, never zero or one.

`p_disconnected` = 1 - P(diploma) x P(employed, postsecondary or training). The uncertainty of
the error rates (a Poisson bootstrap over the bridged persons) and of the diploma share (beta
draws) travels as replicate probabilities; each count's interval adds the spread of those
replicates to the Bernoulli spread of the youth-years themselves (see the counts mart).

What was measured against truth before choosing (demo population, seed 2026, 20,000 persons, real
probabilistic index, on the synthetic population as it was before DOL claim bridges and unknown
diplomas were added (commit 5d260e7); disconnected youth in 2016 / 2025, truth 569 / 547, observed
count 1,727 / 1,457):

- a single error rate per age band, names from any record: 849 / 574. Bridged youth's benefit and
  custody records often carry a later, married surname, so the test found their wages more easily
  than an SSN-less youth's: sensitivity measured on them was too high, the correction too small.
- names only from records without an SSN (school records where there are any), error rates per
  age now (the surname on a wage record is the current one) x sex x namesakes: 696 / 604, the
  version built here. The remaining excess is not a flaw of the measured rates alone: with the
  *true* sensitivity and specificity of the SSN-less youth, the corrected employment rate is still
  up to 4 points low in early years, and each point is about 11 youth on the demo.
- assuming SSN-less youth work as often as bridged youth (imputation without the name evidence)
  would put their employment near the bridged out-of-school youth-years' 84% against a true 95%
  for the undecided youth-years (measured; not built).
Dual-system (capture-recapture) or residual allocation of unclaimed wage-only workers to cohorts
was not built: wage-only workers carry no date of birth, so their cohort rests on the first year
paid alone.

Nothing here joins a record to a person: no pair found only by surname and initial enters the
crosswalk, and the published table holds p20_ids, years and probabilities only.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

WAGE_AGENCY = "DOL"
FIRST_WORK_AGE = 15  # a wage-only person first paid younger than this relative to a youth is not them
# A youth's names are taken from school records where there are any: every youth's are of the same
# era, whereas later records (shelters, courts) of some youth carry a married name and would make
# the test find their wages more easily than another youth's.
SCHOOL_AGENCIES = ("SDE", "CTECS")
FOLDS = 4  # the bridged youth are hidden a quarter at a time
REPLICATES = 40  # bootstrap replicates published beside the point estimate (replicate 0)
NAMESAKE_CLASSES = (1, 3)  # wage-only namesakes: <= 1, 2-3, >= 4
# Age at the latest report year: wage records carry the current surname, school records the one
# of school days, so the older a youth is now, the likelier a marriage hides their wages.
AGE_NOW_BANDS = (20, 22, 24, 26, 28, 30, 32, 34)  # two-year bands
SEED = 20_260_601
BRIDGE_SOURCES = ("dol_claim", "other_agency")  # what gave a bridged youth their SSN: DOL's own claim, or another agency
SOURCE_PRIOR_WEIGHT = 20.0  # pseudo-observations at the pooled rate for one source's stratum


@dataclass(frozen=True)
class UnseenEstimate:
    """The hub's publication: probabilities per undecided youth-year and the measured error rates."""

    # p20_id, report_year, replicate (0 = point estimate), p_disconnected, p_employed_unseen, p_diploma
    probabilities: pd.DataFrame
    # age_now_band, sex, namesake_class, workers, sensitivity, non_workers, specificity (aggregates only)
    error_rates: pd.DataFrame


def _person_parts(records: pd.DataFrame, crosswalk: pd.DataFrame) -> pd.DataFrame:
    """Every record's name keys (surname + first initial, and each word of a compound surname +
    first initial) with its p20_id, whether it is a wage-part record (a DOL record without a date of
    birth) and whether it carries an SSN (a bridge)."""
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
               CASE WHEN initial IS NOT NULL THEN name_key END AS name_key
        FROM keyed
    """).df()


def wage_evidence(parts: pd.DataFrame, wage_years: pd.DataFrame, person_years: pd.DataFrame,
                  hidden: pd.DataFrame | None = None) -> pd.DataFrame:
    """Wage evidence and namesake count for each row of `person_years` (p20_id, report_year, age).

    The wage-only pool is every index entry made only of DOL records without a DOB; `hidden`
    (p20_id, record_id) moves DOL records out of wherever they are into one wage-only worker per
    hidden person (their bridge hidden). Candidate keys of a person are the name keys of their
    records that neither are DOL records nor carry an SSN: what an SSN-less youth has, so a hidden
    person looks like one (their benefit or custody records, often under a later married name,
    would find their wages more easily than an SSN-less youth's school records do).
    """
    hidden = pd.DataFrame({"p20_id": [], "record_id": []}, dtype=object) if hidden is None else hidden
    return duckdb.sql("""
        WITH entry AS (
            SELECT p20_id, bool_and(dol_record) AS wage_only FROM parts GROUP BY p20_id),
        pool_records AS (
            SELECT p.p20_id AS worker, p.name_key, p.FakeID
            FROM parts AS p JOIN entry AS e USING (p20_id)
            WHERE e.wage_only AND p.record_id NOT IN (SELECT record_id FROM hidden)
            UNION ALL
            SELECT 'hidden:' || h.p20_id, p.name_key, p.FakeID
            FROM hidden AS h JOIN parts AS p USING (record_id)),
        worker_years AS (
            SELECT DISTINCT pr.worker, pr.name_key, w.year
            FROM pool_records AS pr JOIN wage_years AS w ON w.FakeID = pr.FakeID
            WHERE pr.name_key IS NOT NULL),
        workers AS (
            SELECT worker, name_key, min(year) AS first_year FROM worker_years GROUP BY worker, name_key),
        candidate_records AS (
            SELECT p.*, p.agency IN $school_agencies AS school
            FROM parts AS p JOIN entry AS e USING (p20_id)
            WHERE NOT e.wage_only AND NOT p.dol_record AND NOT p.bridge AND p.name_key IS NOT NULL),
        candidate_keys AS (
            SELECT DISTINCT p20_id, name_key FROM candidate_records
            QUALIFY school OR NOT bool_or(school) OVER (PARTITION BY p20_id)),
        plausible AS (
            SELECT py.p20_id, py.report_year, wk.worker, wk.name_key
            FROM person_years AS py
            JOIN candidate_keys AS ck USING (p20_id)
            JOIN workers AS wk ON wk.name_key = ck.name_key
            WHERE wk.first_year - py.report_year + py.age >= $first_work_age),
        scored AS (
            SELECT pl.p20_id, pl.report_year,
                   count(DISTINCT pl.worker) AS namesakes,
                   bool_or(wy.worker IS NOT NULL) AS evidence
            FROM plausible AS pl
            LEFT JOIN worker_years AS wy
                ON wy.worker = pl.worker AND wy.name_key = pl.name_key AND wy.year = pl.report_year
            GROUP BY pl.p20_id, pl.report_year)
        SELECT py.p20_id, py.report_year,
               coalesce(s.evidence, false) AS evidence,
               coalesce(s.namesakes, 0) AS namesakes
        FROM person_years AS py
        LEFT JOIN scored AS s USING (p20_id, report_year)
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


def mistyped_ssn_wage_years(parts: pd.DataFrame, wage_years: pd.DataFrame) -> pd.DataFrame:
    """(p20_id, year) in which a youth with an SSN was paid on a wage record the index left on its own
    (an entry made only of DOL records) whose SSN is one keystroke from one of the youth's (a digit
    changed, or two neighbours swapped). A wage SSN typed wrong hides a bridged youth's job from the
    index as an SSN-less youth's is hidden; two different people's SSNs one keystroke apart are
    rare enough (about 90 of the billion possible numbers lie that close to any one) that such a
    year counts as employed in the estimate. No link is written: the crosswalk stays as it is."""
    return duckdb.sql("""
        WITH entry AS (
            SELECT p20_id, bool_and(dol_record) AS dol_only FROM parts GROUP BY p20_id),
        apart AS (
            SELECT DISTINCT p.ssn, p.FakeID
            FROM parts AS p JOIN entry AS e USING (p20_id)
            WHERE e.dol_only AND p.ssn IS NOT NULL),
        own AS (
            SELECT DISTINCT p20_id, ssn FROM parts WHERE bridge AND NOT dol_record),
        near AS (
            -- one keystroke leaves at least one of the three 3-digit groups intact: block on them
            SELECT DISTINCT own.p20_id, apart.FakeID
            FROM own JOIN apart
                ON left(own.ssn, 3) = left(apart.ssn, 3) OR substr(own.ssn, 4, 3) = substr(apart.ssn, 4, 3)
                OR right(own.ssn, 3) = right(apart.ssn, 3)
            WHERE own.ssn <> apart.ssn AND damerau_levenshtein(own.ssn, apart.ssn) = 1)
        SELECT DISTINCT near.p20_id, w.year
        FROM near JOIN wage_years AS w USING (FakeID)
    """).df()


def _namesake_class(namesakes: pd.Series) -> np.ndarray:
    return np.searchsorted(np.asarray(NAMESAKE_CLASSES), namesakes.to_numpy(), side="left")


def _fold(p20_ids: pd.Series) -> np.ndarray:
    return (pd.util.hash_pandas_object(p20_ids, index=False).to_numpy() % FOLDS).astype(int)


def hidden_bridge_evidence(parts: pd.DataFrame, wage_years: pd.DataFrame, bridged: pd.DataFrame) -> pd.DataFrame:
    """Wage evidence of bridged youth-years, each fold's bridges hidden in turn, with `employed` =
    a wage in the year on a DOL record carrying one of the youth's SSNs (`own_wage_records`).

    Only youth who would still be in the index without their SSN-bearing records (some record of
    theirs carries neither an SSN nor is a DOL record) can stand in for an SSN-less youth.
    """
    without_bridge = parts.loc[~parts["dol_record"] & ~parts["bridge"] & parts["name_key"].notna(), "p20_id"]
    bridged = bridged[bridged["p20_id"].isin(set(without_bridge))].drop(columns=["employed"], errors="ignore")
    own = own_wage_records(parts)
    fake_ids = parts[["record_id", "FakeID"]].drop_duplicates()
    paid = own.merge(fake_ids, on="record_id").merge(wage_years, on="FakeID")[["p20_id", "year"]].drop_duplicates()
    bridged = bridged.merge(paid.rename(columns={"year": "report_year"}).assign(employed=True),
                            on=["p20_id", "report_year"], how="left").fillna({"employed": False})
    claimants = own.merge(parts.loc[parts["dol_record"] & ~parts["wage_part"], ["record_id"]], on="record_id")["p20_id"]
    bridged["bridge_source"] = np.where(bridged["p20_id"].isin(set(claimants)), "dol_claim", "other_agency")
    folds = _fold(bridged["p20_id"])
    scored = []
    for fold in range(FOLDS):
        rows = bridged[folds == fold]
        if len(rows):
            scored.append(wage_evidence(parts, wage_years, rows, own[own["p20_id"].isin(set(rows["p20_id"]))]))
    return pd.concat(scored, ignore_index=True)


def _rates(evidence: np.ndarray, employed: np.ndarray, stratum: np.ndarray, strata: int,
           weights: np.ndarray, prior: tuple[np.ndarray, np.ndarray] | None = None,
           prior_weight: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sensitivity and specificity per stratum (columns = replicates of the weights).

    Without a prior, one pseudo-observation each way so an empty stratum falls back to 0.5 instead
    of failing; with one, `prior_weight` pseudo-observations at the prior's rates (a thin stratum
    of one bridge source leans on the pooled rate rather than on chance)."""
    def total(mask: np.ndarray) -> np.ndarray:
        out = np.zeros((strata, weights.shape[1]))
        np.add.at(out, stratum[mask], weights[mask])
        return out

    workers, non_workers = total(employed), total(~employed)
    se_prior, sp_prior = (0.5, 0.5) if prior is None else prior
    weight = 1.0 if prior is None else prior_weight
    sensitivity = (total(employed & evidence) + weight * se_prior) / (workers + weight)
    specificity = (total(~employed & ~evidence) + weight * sp_prior) / (non_workers + weight)
    return sensitivity, specificity, workers, non_workers


def employment_probabilities(training: pd.DataFrame, target: pd.DataFrame, replicates: int = REPLICATES,
                             seed: int = SEED) -> tuple[np.ndarray, pd.DataFrame]:
    """P(employed) per target youth-year (rows) and replicate (columns; 0 = point estimate).

    `training`: bridged youth-years with `evidence`, `namesakes`, `age_now`, `employed`, `p20_id`;
    `target`: undecided youth-years with `evidence`, `namesakes`, `age_now`, `age_band`, `report_year`.
    Error rates are measured per stratum of age now, sex (a married surname hides wages) and namesake
    class; the prevalence per age band and report year.
    """
    bands = [f"<={AGE_NOW_BANDS[0]}"] + [f"{low + 1}-{high}" for low, high in zip(AGE_NOW_BANDS, AGE_NOW_BANDS[1:])] \
        + [f">={AGE_NOW_BANDS[-1] + 1}"]
    classes = len(NAMESAKE_CLASSES) + 1

    sexes = ("F", "M", "unknown")

    def stratum(frame: pd.DataFrame) -> np.ndarray:
        band = np.searchsorted(np.asarray(AGE_NOW_BANDS), frame["age_now"].to_numpy(), side="left")
        sex = frame["sex"].map({"F": 0, "M": 1}).fillna(2).to_numpy(int)
        return (band * len(sexes) + sex) * classes + _namesake_class(frame["namesakes"])

    strata = len(bands) * len(sexes) * classes
    rng = np.random.default_rng(seed)
    persons, person_of_row = np.unique(training["p20_id"].to_numpy(), return_inverse=True)
    weights = np.concatenate([np.ones((len(persons), 1)), rng.poisson(1.0, (len(persons), replicates))], axis=1)
    evidence, employed, strata_of_row = (training["evidence"].to_numpy(bool), training["employed"].to_numpy(bool),
                                         stratum(training))
    se, sp, workers, non_workers = _rates(evidence, employed, strata_of_row, strata, weights[person_of_row])
    # Transport: SSN-less youth are not bridged, so which bridged youth they resemble is unknown. Each
    # replicate takes the error rates at a random point between those measured on youth bridged by
    # DOL's own claim records and on youth bridged by other agencies' records, so the interval
    # carries the disagreement between the two measurements as well as their sampling error.
    source = training["bridge_source"].to_numpy() if "bridge_source" in training else np.full(len(training), "")
    if len(set(source)) == len(BRIDGE_SOURCES):
        by_source = [_rates(evidence, employed, strata_of_row, strata, weights[person_of_row] * (source == name)[:, None],
                            prior=(se, sp), prior_weight=SOURCE_PRIOR_WEIGHT)[:2] for name in BRIDGE_SOURCES]
        mix = np.concatenate([[np.nan], rng.uniform(0.0, 1.0, replicates)])
        for rate, (first, second) in ((se, (by_source[0][0], by_source[1][0])), (sp, (by_source[0][1], by_source[1][1]))):
            rate[:, 1:] = mix[1:] * first[:, 1:] + (1 - mix[1:]) * second[:, 1:]

    s = stratum(target)
    e = target["evidence"].to_numpy(bool)[:, None]
    se_t, sp_t = se[s], sp[s]
    # Rogan-Gladen per (age band, report year) cell, summed over the strata in it.
    cell = target.groupby(["age_band", "report_year"]).ngroup().to_numpy()
    numerator, denominator = np.zeros((cell.max() + 1, se.shape[1])), np.zeros((cell.max() + 1, se.shape[1]))
    np.add.at(numerator, cell, e - (1.0 - sp_t))
    np.add.at(denominator, cell, np.maximum(se_t + sp_t - 1.0, 0.05))
    prevalence = np.clip(numerator / denominator, 0.0, 1.0)[cell]
    with_evidence = se_t * prevalence / np.maximum(se_t * prevalence + (1 - sp_t) * (1 - prevalence), 1e-12)
    without = (1 - se_t) * prevalence / np.maximum((1 - se_t) * prevalence + sp_t * (1 - prevalence), 1e-12)
    probability = np.where(e, with_evidence, without)

    band_and_sex, class_of = np.divmod(np.arange(strata), classes)
    band_of, sex_of = np.divmod(band_and_sex, len(sexes))
    error_rates = pd.DataFrame({
        "age_now_band": [bands[b] for b in band_of], "sex": [sexes[x] for x in sex_of],
        "namesake_class": [("<=1", "2-3", ">=4")[c] for c in class_of],
        "workers": workers[:, 0].astype(int), "sensitivity": se[:, 0].round(4),
        "non_workers": non_workers[:, 0].astype(int), "specificity": sp[:, 0].round(4)})
    return probability, error_rates


def _share_draws(rows: pd.DataFrame, flag: pd.Series, target: pd.DataFrame, replicates: int,
                 rng: np.random.Generator) -> np.ndarray:
    """The share of `rows` with `flag` in the target row's report year and age: point estimate and
    beta draws (Jeffreys prior), one column per replicate.

    One draw per (report year, age) cell, shared by the cell's rows: the share is one unknown for all
    of them, and drawing over the sorted cells makes the replicates independent of row order."""
    rates = flag.groupby([rows["report_year"], rows["age"]]).agg(["sum", "count"])
    keys = pd.MultiIndex.from_frame(target[["report_year", "age"]])
    cells = keys.unique().sort_values()
    hits = rates["sum"].reindex(cells).fillna(0).to_numpy(float)
    total = rates["count"].reindex(cells).fillna(0).to_numpy(float)
    draws = rng.beta(hits[:, None] + 0.5, (total - hits)[:, None] + 0.5, (len(cells), replicates))
    point = (hits + 0.5) / (total + 1.0)
    cell_of_row = cells.get_indexer(keys)
    return np.concatenate([point[cell_of_row][:, None], draws[cell_of_row]], axis=1)


def diploma_probabilities(person_years: pd.DataFrame, target: pd.DataFrame, replicates: int = REPLICATES,
                          seed: int = SEED) -> np.ndarray:
    """Per target row and replicate, the probability that the missing diploma does not make the
    youth disconnected: 1 for a CT diploma; for a youth never in CT public school past the on-time
    graduation year, the share with a diploma among youth of the same age and report year seen in
    CT public schools and out of them; for one presumed in school elsewhere, one minus the share of
    such youth out of school without a diploma (a dropout is disconnected). Beta draws carry the
    binomial uncertainty; that youth who moved in finish school as often as those who grew up here is
    an assumption the data cannot check."""
    rng = np.random.default_rng(seed + 1)
    seen = person_years[person_years["diploma_status"] != "unknown"]
    out_of_school = seen[~seen["enrolled_k12"]]
    diploma = _share_draws(out_of_school, out_of_school["has_diploma"], target, replicates, rng)
    dropout = _share_draws(seen, ~seen["enrolled_k12"] & ~seen["has_diploma"], target, replicates, rng)
    probability = np.where(target["presumed_in_school_elsewhere"].to_numpy()[:, None], 1.0 - dropout, diploma)
    probability[(target["diploma_status"] != "unknown").to_numpy()] = 1.0
    return probability


def status_rests_on_wages(person_years: pd.DataFrame) -> pd.Series:
    """Out-of-school youth-years, not incarcerated, with a diploma or presumed to hold one, and with
    no job, college or training found: a job found would make them connected."""
    diploma_presumed = person_years["has_diploma"] | (
        (person_years["diploma_status"] == "unknown") & ~person_years["presumed_in_school_elsewhere"])
    return (~person_years["enrolled_k12"] & diploma_presumed & ~person_years["employed"]
            & ~person_years["postsecondary"] & ~person_years["training"] & ~person_years["incarcerated"])


def undecided_rows(person_years: pd.DataFrame) -> pd.Series:
    """Youth-years whose disconnected/connected status rests on unlinkable wages or an unknown diploma."""
    return person_years["status_rests_on_unlinkable_wages"] | (
        person_years["status_rests_on_unknown_diploma"] & (person_years["status"] == "connected"))


def estimate_unseen(records: pd.DataFrame, crosswalk: pd.DataFrame, wage_years: pd.DataFrame,
                    person_years: pd.DataFrame, replicates: int = REPLICATES) -> UnseenEstimate:
    """The probabilities the hub publishes (see the module docstring).

    `records`/`crosswalk`: the hub's mpi tables; `wage_years`: FakeID, year of every DOL UI wage
    row with wages above zero; `person_years`: `marts.disconnected_youth_person_year`.
    """
    parts = _person_parts(records, crosswalk)
    person_years = person_years.assign(age_now=person_years["age"] + person_years["report_year"].max()
                                       - person_years["report_year"])
    out_of_school = person_years[~person_years["enrolled_k12"]]
    bridged = out_of_school[out_of_school["wage_linkable"]][["p20_id", "report_year", "age", "age_now", "sex", "employed"]]
    training = hidden_bridge_evidence(parts, wage_years, bridged)

    undecided = person_years[undecided_rows(person_years)]
    # Youth-years with an SSN whose status rests on a job the index did not find, paid under a
    # mistyped SSN: employed, so they need only the diploma, as those seen active do.
    mistyped = mistyped_ssn_wage_years(parts, wage_years).rename(columns={"year": "report_year"})
    hidden_job = person_years[status_rests_on_wages(person_years) & person_years["wage_linkable"]].merge(
        mistyped, on=["p20_id", "report_year"])
    target = pd.concat([
        wage_evidence(parts, wage_years, undecided[["p20_id", "report_year", "age"]]).merge(
            undecided.drop(columns=["age"]), on=["p20_id", "report_year"], validate="1:1"),
        hidden_job.assign(evidence=True, namesakes=0)], ignore_index=True)
    # Only youth-years resting on unlinkable wages need employment; the rest were seen active
    # (employed, in college or training) or paid under a mistyped SSN, and need only the diploma.
    employed = np.ones((len(target), replicates + 1))
    unseen = target["status_rests_on_unlinkable_wages"].to_numpy(bool)
    employed[unseen], error_rates = employment_probabilities(training, target[unseen], replicates)
    diploma = diploma_probabilities(person_years, target, replicates)
    disconnected = 1.0 - diploma * employed

    columns = replicates + 1
    probabilities = pd.DataFrame({
        "p20_id": np.repeat(target["p20_id"].to_numpy(), columns),
        "report_year": np.repeat(target["report_year"].to_numpy(), columns).astype("int32"),
        "replicate": np.tile(np.arange(columns, dtype="int16"), len(target)),
        "p_disconnected": disconnected.ravel().round(5),
        "p_employed_unseen": employed.ravel().round(5),
        "p_diploma": diploma.ravel().round(5),
    })
    return UnseenEstimate(probabilities, error_rates)
