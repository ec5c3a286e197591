"""Figures of a generated population, measured from its truth/ and delivered matching files.

`bridge_coverage` answers "whose wages could the index ever find?": a youth's wage records
(SSN, surname, first initial, no DOB) reach them only through some delivered record that
carries both a usable SSN and a usable date of birth. Usable means what the hub's own
standardisation keeps (a malformed or dummy SSN, a placeholder DOB count as absent).
Evaluation only: it reads truth/.
"""

from __future__ import annotations

import pandas as pd

from p20_platform.linkage import read_matching_files, standardise_records
from p20_platform.settings import Paths
from p20_platform.synth.truth import AGE_RANGE


def bridged_persons(home: Paths) -> pd.Series:
    """Bridge agencies per true person (index: person_id): the agencies of their delivered
    records that carry a usable SSN and DOB, as a sorted comma-joined string ('' if none)."""
    records = pd.read_parquet(home.truth / "records.parquet", columns=["file", "FakeID", "person_id"])
    files = sorted(home.landing.glob("*/*.matching"))
    standard = standardise_records(read_matching_files(files))
    bridges = standard[standard["ssn"].notna() & standard["dob"].notna()]
    owner = bridges.merge(records.assign(record_id=records["file"] + "|" + records["FakeID"]), on="record_id",
                          validate="one_to_one")
    agencies = owner.groupby("person_id")["agency"].agg(lambda a: ",".join(sorted(set(a))))
    people = pd.read_parquet(home.truth / "persons.parquet", columns=["person_id"])["person_id"]
    return agencies.reindex(people, fill_value="")


def summary(home: Paths) -> dict:
    """Yearly truth figures and wage-bridge coverage of youth (aged 14–26 in a report year)."""
    status = pd.read_parquet(home.truth / "status.parquet")
    persons = pd.read_parquet(home.truth / "persons.parquet", columns=["person_id", "public_school"])
    by_year = status.assign(
        at_risk=status["status"].str.startswith("at_risk"),
        disconnected=status["status"].str.startswith("disconnected"),
    ).groupby("report_year")
    bridges = bridged_persons(home)
    youth = status["person_id"].unique()
    adults = status.loc[status["age"] >= 18, "person_id"].unique()  # of an age to earn wages in a report year
    bridged = bridges.reindex(youth) != ""
    per_agency = bridges.reindex(adults).str.split(",").explode()
    unknown = status["diploma_status"] == "unknown"
    return {
        "youth_per_year": by_year.size().to_dict(),
        "disconnected_per_year": by_year["disconnected"].sum().astype(int).to_dict(),
        "at_risk_per_year": by_year["at_risk"].sum().astype(int).to_dict(),
        "at_risk_or_disconnected_share_per_year": (by_year[["at_risk", "disconnected"]].sum().sum(axis=1)
                                                   / by_year.size()).round(4).to_dict(),
        "youth": int(len(youth)),
        "youth_with_ssn_dob_bridge_share": round(float(bridged.mean()), 4),
        "youth_aged_18_plus_with_ssn_dob_bridge_share": round(float((bridges.reindex(adults) != "").mean()), 4),
        "youth_aged_18_plus_bridge_share_by_agency": (per_agency[per_agency != ""].value_counts() / len(adults))
        .round(4).sort_index().to_dict(),
        "never_in_ct_public_school_share_of_youth": round(
            float(1 - persons.set_index("person_id").reindex(youth)["public_school"].mean()), 4),
        "unknown_diploma_person_years": int(unknown.sum()),
        "unknown_diploma_out_of_school_with_real_diploma_share": round(float(
            status.loc[unknown & (status["age"] >= 19), "diploma"].mean()), 4),
        "age_range": list(AGE_RANGE),
    }
