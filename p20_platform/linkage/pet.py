"""PET strategy `pet-keys`: keyed-hash linkage keys, the privacy-enhancing approach used in practice.

Each agency derives a cascade of linkage keys from its own standardised records and sends
only HMAC-SHA256 digests of them (keyed with the shared secret, see `pet_key`). The hub
never sees a name, date of birth, SSN or SASID and never needs the key: it links two
records when they share a digest, then resolves links transitively (connected components).

The rules (each digest is domain-separated by the rule's `domain`, so equal values under
different rules never collide):

| rule | key made of | catches |
|---|---|---|
| ssn_dob | SSN, DOB | the strongest key where both exist |
| ssn_first_initial | SSN, first initial | wage records (no DOB), also after a last-name change |
| sasid_dob | SASID, DOB | education records |
| sasid_last / sasid_first | SASID, last / first name | education records with a DOB error or name change |
| ssn4_first_last_dob | SSN last 4, first, last, DOB | survives when first_last_dob is too common |
| first_last_dob | first, last, DOB | records without SSN/SASID |
| first_last_dob_names_swapped | last, first, DOB in the first_last_dob domain | first and last name swapped |
| first_last_dob_day_month_swapped | first, last, DOB with day and month swapped | day/month transposition |
| ssn_last | SSN, last name (weak: a sibling's record under a borrowed SSN shares it) | a replaced or nickname first name |
| ssn_sorted_dob / ssn_sorted_last_initial | the SSN's digits in sorted order, DOB / last name + first initial | two SSN digits transposed |
| first_initial_last_dob_gender | first initial, last, DOB, gender | nicknames, first-name typos |
| soundex_first_last_dob | Soundex of first and last, DOB | spelling variants of names |
| first_initial_last_soundex_dob | first initial, Soundex of last, DOB | typos in both names |
| first_last_year_month / first_last_month_day | first, last, two of the three DOB parts | a typo in the day / year |
| sorted_soundex_dob | the two names' Soundex codes in sorted order, DOB | swapped names with a typo |

The first nine are *strong* keys; each rule of the plaintext deterministic cascade has one of them
that links at least the same records, except its SSN+surname and first-initial rules, weak here. The
rest are *weak*: typo-tolerant, and shared by twins or namesakes.

Over-merge guards, the hub's side: a digest carried by more than MAX_RECORDS_PER_KEY records is
a placeholder or a collision and is ignored (as in the deterministic cascade); a weak digest is
also ignored where, inside one delivery (matching file), it is carried by records the strong keys
did not join: a matching file holds a person once, or a few times as duplicates that the strong
keys join, so two unjoined records sharing a weak key are most likely two people (twins in one
school). The unit is the file, not the agency: two deliveries of one agency (two years, or FEBRL's
two files under one name) hold the same people, and a weak key is how a typo'd record meets its
other delivery (per agency, pet-keys recall on FEBRL 4 was 0.932, below the plaintext cascade's 0.938).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from hashlib import sha256

import numpy as np
import pandas as pd

from p20_platform.linkage.clusters import connected_components
from p20_platform.linkage.deterministic import MAX_RECORDS_PER_KEY

KEY_RULE_COLUMNS = ["record_id", "agency", "delivery", "rule", "digest"]
IDENTIFIER_COLUMNS = ("first_name", "middle_name", "last_name", "dob", "ssn", "sasid")
FIELD_SEPARATOR = "\x1f"
DOMAIN_SEPARATOR = "\x1e"

_SOUNDEX_CODES = {letter: str(code) for code, letters in enumerate(
    ("AEIOUY", "BFPV", "CGJKQSXZ", "DT", "L", "MN", "R"), start=0) for letter in letters}


def soundex(name: str) -> str:
    """American Soundex (letter + 3 digits); H and W do not separate equal codes, vowels do."""
    letters = [c for c in name if c.isalpha()]
    if not letters:
        return ""
    digits: list[str] = []
    previous = _SOUNDEX_CODES.get(letters[0], "")
    for letter in letters[1:]:
        if letter in "HW":
            continue
        code = _SOUNDEX_CODES.get(letter, "")
        if code not in ("", "0") and code != previous:
            digits.append(code)
        previous = code
    return (letters[0] + "".join(digits) + "000")[:4]


@dataclass(frozen=True)
class KeyRule:
    """One linkage key: the derived columns it concatenates and the HMAC domain it is hashed in."""

    name: str
    columns: tuple[str, ...]
    domain: str | None = None  # defaults to the rule name; shared domains let variants meet
    weak: bool = False  # typo-tolerant, shared by twins: trusted inside a delivery only once

    @property
    def hash_domain(self) -> str:
        return self.domain or self.name


KEY_RULES: tuple[KeyRule, ...] = (
    KeyRule("ssn_dob", ("ssn", "dob")),
    KeyRule("ssn_first_initial", ("ssn", "first_initial")),
    KeyRule("sasid_dob", ("sasid", "dob")),
    KeyRule("sasid_last", ("sasid", "last_name")),
    KeyRule("sasid_first", ("sasid", "first_name")),
    KeyRule("ssn4_first_last_dob", ("ssn_last4", "first_name", "last_name", "dob")),
    KeyRule("first_last_dob", ("first_name", "last_name", "dob")),
    KeyRule("first_last_dob_names_swapped", ("last_name", "first_name", "dob"), domain="first_last_dob"),
    KeyRule("first_last_dob_day_month_swapped", ("first_name", "last_name", "dob_day_month_swapped"),
            domain="first_last_dob"),
    KeyRule("first_initial_last_dob_gender", ("first_initial", "last_name", "dob", "gender"), weak=True),
    KeyRule("ssn_last", ("ssn", "last_name"), weak=True),
    KeyRule("ssn_sorted_dob", ("ssn_sorted", "dob"), weak=True),
    KeyRule("ssn_sorted_last_initial", ("ssn_sorted", "last_name", "first_initial"), weak=True),
    KeyRule("soundex_first_last_dob", ("first_soundex", "last_soundex", "dob"), weak=True),
    KeyRule("first_initial_last_soundex_dob", ("first_initial", "last_soundex", "dob"), weak=True),
    KeyRule("first_last_year_month", ("first_name", "last_name", "dob_year_month"), weak=True),
    KeyRule("first_last_month_day", ("first_name", "last_name", "dob_month_day"), weak=True),
    KeyRule("sorted_soundex_dob", ("soundex_low", "soundex_high", "dob"), weak=True),
)


def _day_month_swapped(dob: pd.Series) -> pd.Series:
    """YYYY-DD-MM where that is a different valid date, else missing."""
    parts = dob.str.extract(r"^(\d{4})-(\d{2})-(\d{2})$")
    swapped = parts[0] + "-" + parts[2] + "-" + parts[1]
    valid = pd.to_datetime(swapped, format="%Y-%m-%d", errors="coerce").notna() & (parts[1] != parts[2])
    return swapped.where(valid)


def require_standard_columns(records: pd.DataFrame) -> None:
    """Encoders read the standardised record table; say which columns are missing, not a KeyError."""
    needed = ("record_id", "agency", *IDENTIFIER_COLUMNS, "gender")
    missing = [c for c in needed if c not in records.columns]
    if missing:
        raise ValueError(f"PET encoding needs the standardised record table; missing column(s) {missing}")
    if records["record_id"].isna().any() or records["record_id"].duplicated().any():
        raise ValueError("PET encoding needs a unique, non-empty record_id per record")


def key_components(records: pd.DataFrame) -> pd.DataFrame:
    """The values the rules combine, derived inside the agency from its standardised records."""
    text = records[["first_name", "last_name", "dob", "gender", "ssn", "sasid"]].astype("string")
    first_soundex = text["first_name"].map(soundex, na_action="ignore").astype("string")
    last_soundex = text["last_name"].map(soundex, na_action="ignore").astype("string")
    return text.assign(
        first_initial=text["first_name"].str[0],
        ssn_last4=text["ssn"].str[-4:],
        ssn_sorted=text["ssn"].map(lambda ssn: "".join(sorted(ssn)), na_action="ignore").astype("string"),
        first_soundex=first_soundex,
        last_soundex=last_soundex,
        soundex_low=first_soundex.where(first_soundex <= last_soundex, last_soundex),
        soundex_high=last_soundex.where(first_soundex <= last_soundex, first_soundex),
        dob_day_month_swapped=_day_month_swapped(text["dob"]),
        dob_year_month=text["dob"].str[:7],
        dob_month_day=text["dob"].str[5:],
    )


def keyed_digest(key: bytes, domain: str, value: str) -> str:
    """HMAC-SHA256 of `domain` + value under the shared key, as hex."""
    return hmac.digest(key, f"{domain}{DOMAIN_SEPARATOR}{value}".encode(), sha256).hex()


def encode_pet_keys(records: pd.DataFrame, key: bytes) -> pd.DataFrame:
    """What an agency sends: one keyed digest per record and applicable rule, no plaintext."""
    require_standard_columns(records)
    components = key_components(records)
    # the file a record came in (a table without one is one delivery per agency)
    delivery = records["source_file" if "source_file" in records.columns else "agency"].to_numpy()
    encoded = []
    for rule in KEY_RULES:
        parts = components[list(rule.columns)]
        complete = parts.notna().all(axis=1) & (parts != "").all(axis=1)
        values = parts[complete].iloc[:, 0].str.cat(parts[complete].iloc[:, 1:], sep=FIELD_SEPARATOR)
        encoded.append(pd.DataFrame({
            "record_id": records.loc[complete, "record_id"].to_numpy(),
            "agency": records.loc[complete, "agency"].to_numpy(),
            "delivery": delivery[complete.to_numpy()],
            "rule": rule.name,
            "digest": [keyed_digest(key, rule.hash_domain, v) for v in values],
        }))
    return pd.concat(encoded, ignore_index=True)[KEY_RULE_COLUMNS].astype("string")


def match_pet_keys(encoded: pd.DataFrame) -> pd.DataFrame:
    """The hub's side: record pairs sharing a trustworthy digest, with the rule that linked them.

    Works on the encoded table alone. Digests held by more than MAX_RECORDS_PER_KEY records are
    dropped, and weak digests held inside one delivery by records the strong keys did not join.
    """
    keys = encoded.drop_duplicates(["record_id", "digest"])
    keys = keys[keys.groupby("digest")["record_id"].transform("size") <= MAX_RECORDS_PER_KEY]
    weak_rules = {rule.name for rule in KEY_RULES if rule.weak}
    is_weak = keys["rule"].isin(weak_rules)
    strong = connected_components(keys["record_id"].drop_duplicates(), _pairs_sharing(keys[~is_weak]))
    weak = keys[is_weak].merge(strong, on="record_id")
    people_per_delivery = weak.groupby(["digest", "delivery"])["cluster_id"].transform("nunique")
    keys = pd.concat([keys[~is_weak], weak.loc[people_per_delivery <= 1, keys.columns]], ignore_index=True)
    pairs = _pairs_sharing(keys)
    # A digest met under two rules of one domain (a variant such as swapped names meeting the
    # base key) is credited to the variant, which comes later in KEY_RULES; a pair linked by
    # several digests is credited to the earliest rule.
    rule_order = {rule.name: i for i, rule in enumerate(KEY_RULES)}
    order = np.maximum(pairs["rule_l"].map(rule_order), pairs["rule_r"].map(rule_order))
    pairs = pairs.assign(rule=np.asarray([r.name for r in KEY_RULES])[order], order=order).sort_values("order")
    pairs = pairs.drop_duplicates(["record_id_l", "record_id_r"])
    return pairs[["record_id_l", "record_id_r", "rule"]].reset_index(drop=True)


def _pairs_sharing(keys: pd.DataFrame) -> pd.DataFrame:
    """Record pairs (l < r) sharing a digest, with both sides' rules."""
    pairs = keys.merge(keys, on="digest", suffixes=("_l", "_r"))
    return pairs[pairs["record_id_l"] < pairs["record_id_r"]]


def link_pet_keys(records: pd.DataFrame, key: bytes) -> pd.DataFrame:
    """pet-keys end to end: agencies encode, the hub matches digests and clusters."""
    encoded = encode_pet_keys(records, key)
    pairs = match_pet_keys(encoded)
    return connected_components(records["record_id"], pairs)


ROW_KEY_COLUMNS = ("record_id", "agency", "delivery", "rule")  # not encodings: the row's address
MIN_SUBSTRING = 4  # shorter values (initials, 'LI') occur in random bytes by chance


def _identifier_forms(record: pd.Series) -> set[str]:
    """Every plaintext form of one record's identifiers, DOB in the common date layouts."""
    forms = {str(record[c]) for c in IDENTIFIER_COLUMNS if pd.notna(record[c]) and record[c] != ""}
    if pd.notna(record["dob"]):
        year, month, day = str(record["dob"]).split("-")
        forms |= {f"{year}{month}{day}", f"{month}/{day}/{year}", f"{month}{day}{year}", f"{day}{month}{year}"}
    return forms


def plaintext_leaks(encoded: pd.DataFrame, records: pd.DataFrame) -> list[str]:
    """Check an encoded table before it leaves the agency: where does any identifier show through?

    Looks for each record's identifiers (any DOB layout) inside that record's encodings and for
    any identifier of any record as a whole encoded value. Returns readable findings (column
    and record id only, never the value); empty means none found.
    """
    encodings = [c for c in encoded.columns if c not in ROW_KEY_COLUMNS]
    as_text = encoded[encodings].map(
        lambda v: v.decode("latin-1") if isinstance(v, bytes) else ("" if v is None or v is pd.NA else str(v)))
    forms = records.set_index("record_id").apply(_identifier_forms, axis=1)
    every_form = set().union(*forms) if len(forms) else set()
    findings = []
    for row, record_id in zip(as_text.itertuples(index=False), encoded["record_id"]):
        own = [f for f in forms.get(record_id, set()) if len(f) >= MIN_SUBSTRING]
        for column, text in zip(encodings, row):
            if text in every_form or any(f in text for f in own):
                findings.append(f"{column} of {record_id} shows an identifier")
    return findings
