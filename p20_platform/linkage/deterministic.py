"""The deterministic strategy: a cascade of exact-agreement rules on standardised identifiers.

It is the baseline agencies understand ("same SSN and birth date"), easy to audit, and the
yardstick the probabilistic and PET strategies are compared against. Each rule links records
that agree exactly on all its fields (none missing); links are resolved transitively.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from p20_platform.linkage.clusters import connected_components


@dataclass(frozen=True)
class Rule:
    """Records agreeing on every `fields` expression (none NULL) are the same person."""

    name: str
    fields: tuple[str, ...]


RULES: tuple[Rule, ...] = (
    Rule("ssn_dob", ("ssn", "dob")),
    Rule("ssn_last_name", ("ssn", "last_name")),
    Rule("ssn_first_name", ("ssn", "first_name")),
    Rule("sasid_dob", ("sasid", "dob")),
    Rule("sasid_last_name", ("sasid", "last_name")),
    Rule("first_last_dob", ("first_name", "last_name", "dob")),
    # first/last swapped by the sender: key built from the two names in sorted order
    Rule("swapped_names_dob", ("least(first_name, last_name)", "greatest(first_name, last_name)", "dob")),
    Rule("first_initial_last_dob_gender", ("substr(first_name, 1, 1)", "last_name", "dob", "gender")),
)
# A key value shared by more records than this is a placeholder or a collision, not a person.
MAX_RECORDS_PER_KEY = 8


def rule_links(records: pd.DataFrame, rules: tuple[Rule, ...] = RULES) -> pd.DataFrame:
    """Links found by each rule: DataFrame[record_id_l, record_id_r, rule].

    Each record is linked to the smallest record id sharing its key (a star per key), which is
    enough for transitive resolution and keeps the link count linear in the records.
    """
    connection = duckdb.connect()
    try:
        connection.register("records", records)
        selects = []
        for rule in rules:
            key = ", ".join(rule.fields)
            not_null = " AND ".join(f"({f}) IS NOT NULL" for f in rule.fields)
            selects.append(f"""
                SELECT record_id_l, record_id_r, '{rule.name}' AS rule FROM (
                    SELECT min(record_id) OVER key_group AS record_id_l, record_id AS record_id_r,
                           count(*) OVER key_group AS key_records
                    FROM records WHERE {not_null}
                    WINDOW key_group AS (PARTITION BY {key})
                ) WHERE record_id_l <> record_id_r AND key_records <= {MAX_RECORDS_PER_KEY}""")
        return connection.sql(" UNION ALL ".join(selects)).df()
    finally:
        connection.close()


def link_deterministic(records: pd.DataFrame) -> pd.DataFrame:
    """Cluster standardised records with the rule cascade: DataFrame[record_id, cluster_id]."""
    return connected_components(records["record_id"], rule_links(records))
