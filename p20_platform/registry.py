"""The agency registry: the one place that says which agencies deliver what.

Everything that is per-agency (synthetic deliveries, contracts, feed assets) is generated from
these declarations instead of being written fifteen times; the dbt staging YAML is kept by hand and
a test holds each source's columns to the layout declared here. Element names
follow each agency's published P20 WIN data dictionary (spaces dropped) where one exists;
DSS and OWS published only the blank template, so their elements are designed here from
the programmes they run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ElementKind = Literal["string", "integer", "decimal", "date", "code", "flag"]


@dataclass(frozen=True)
class Element:
    """One column of a delivery file.

    `kind` drives parsing and contracts: `date` is YYYYMMDD text, `code` takes one of
    `allowed`, `flag` is 0/1, `integer`/`decimal` may carry a `minimum`/`maximum`.
    `pattern` is a full-match regular expression for identifier-like strings.
    """

    name: str
    kind: ElementKind
    description: str
    required: bool = False
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    max_length: int | None = None


# --- The matching file: the real P20 WIN layout, fields in the order the hub expects. ---
# Tab-delimited, no quotes, dates YYYYMMDD, leading zeros kept. An agency's file carries
# only the fields it really holds (a header naming a subset of these, in this order).
MATCHING_ELEMENTS: tuple[Element, ...] = (
    Element("LastName", "string", "Legal last name", max_length=35),
    Element("MiddleName", "string", "Middle name or initial", max_length=35),
    Element("FirstName", "string", "First name (wage records: first initial only)", max_length=35),
    Element("DOB", "date", "Date of birth, YYYYMMDD"),
    Element("Gender", "code", "Gender", allowed=("M", "F", "U")),
    Element("HighSchoolCode", "string", "Six-character high school code", pattern=r"[0-9A-Z]{6}"),
    Element("SASID", "string", "State-assigned student id, up to 10 digits", pattern=r"[0-9]{1,10}"),
    Element("SSN", "string", "Social Security number, 9 digits with leading zeros", pattern=r"[0-9]{9}"),
    Element("FakeID", "string", "One-time meaningless id, unique in the file", required=True,
            pattern=r"[0-9A-Za-z]{1,20}"),
)
MATCHING_FIELDS: tuple[str, ...] = tuple(e.name for e in MATCHING_ELEMENTS)
PII_FIELDS: frozenset[str] = frozenset({"LastName", "MiddleName", "FirstName", "DOB", "SSN", "SASID"})

FILE_CONTENTS = ("matching", "analytical", "key")
# Agencies holding K-12 school records: the names a person was known by as a child (no SSN collected).
SCHOOL_AGENCIES = ("SDE", "CTECS")
# AGENCY.REQ.MM_DD_YYYY.CONTENT, e.g. DOL.000.01_01_2000.matching
FILE_NAME_PATTERN = r"(?P<agency>[A-Za-z]+)\.(?P<request>[0-9]{3})\.(?P<month>[0-9]{2})_(?P<day>[0-9]{2})_(?P<year>[0-9]{4})\.(?P<content>matching|analytical|key)"

RaceCodingKind = Literal["combined_string", "single_code", "ipeds_code", "flags", "hud_code", "none"]


@dataclass(frozen=True)
class Agency:
    """A participating agency and the two files it sends for a request."""

    code: str
    name: str
    legal_framework: str  # data sharing agreement template that governs its data
    role: str  # what the platform uses the agency's data for
    matching_fields: tuple[str, ...]
    analytical: tuple[Element, ...]
    race_coding: RaceCodingKind
    race_columns: tuple[str, ...] = field(default=())  # analytical columns carrying raw race coding

    def __post_init__(self) -> None:
        unknown = set(self.matching_fields) - set(MATCHING_FIELDS)
        if unknown or "FakeID" not in self.matching_fields:
            raise ValueError(f"{self.code}: bad matching fields {sorted(unknown)}")
        ordered = tuple(f for f in MATCHING_FIELDS if f in self.matching_fields)
        if ordered != self.matching_fields:
            raise ValueError(f"{self.code}: matching fields must follow the hub order {MATCHING_FIELDS}")
        names = [e.name for e in self.analytical]
        if names[0] != "FakeID" or len(set(names)) != len(names):
            raise ValueError(f"{self.code}: analytical file must start with FakeID and name columns once")
        leaked = PII_FIELDS & set(names)
        if leaked:
            raise ValueError(f"{self.code}: PII {sorted(leaked)} belongs in the matching file only")
        missing = set(self.race_columns) - set(names)
        if missing:
            raise ValueError(f"{self.code}: race columns {sorted(missing)} not in analytical file")

    @property
    def analytical_columns(self) -> tuple[str, ...]:
        return tuple(e.name for e in self.analytical)

    @property
    def matching_elements(self) -> tuple[Element, ...]:
        return tuple(e for e in MATCHING_ELEMENTS if e.name in self.matching_fields)


def _fake_id() -> Element:
    return Element("FakeID", "string", "Same one-time id as in the matching file", required=True,
                   pattern=r"[0-9A-Za-z]{1,20}")


def _town(name: str = "Town") -> Element:
    return Element(name, "string", "Connecticut town of residence", max_length=50)


def _flag(name: str, description: str) -> Element:
    return Element(name, "flag", description, allowed=("0", "1"))


def _date(name: str, description: str, required: bool = False) -> Element:
    return Element(name, "date", description, required=required)


_ALL_MATCHING = MATCHING_FIELDS
_NO_SSN = tuple(f for f in MATCHING_FIELDS if f != "SSN")

AGENCIES: tuple[Agency, ...] = (
    Agency(
        code="DOL",
        name="Department of Labor",
        legal_framework="Workforce and wage (20 CFR 603.4, C.G.S. 31-254, WIOA)",
        role="UI quarterly wages (employment), unemployment-insurance claims and registered apprenticeships",
        matching_fields=("LastName", "FirstName", "DOB", "SSN", "FakeID"),
        analytical=(
            _fake_id(),
            Element("RecordType", "code", "UI_WAGE: one quarter of UI-covered wages; APPRENTICESHIP: one registration; "
                    "UI_CLAIM: one unemployment-insurance claim", required=True,
                    allowed=("UI_WAGE", "APPRENTICESHIP", "UI_CLAIM")),
            Element("Year", "integer", "Wage year", minimum=1990, maximum=2100),
            Element("Quarter", "integer", "Wage quarter", minimum=1, maximum=4),
            Element("Wage", "decimal", "Wages paid in the quarter, dollars", minimum=0),
            Element("NAICS_Code", "string", "Employer NAICS industry code", pattern=r"[0-9]{2,6}"),
            Element("Apprentice_Trade", "integer", "Apprenticeable trade code", minimum=0),
            _date("Apprentice_EnrolledDate", "Apprenticeship registration date"),
            _date("Apprentice_CompletedDate", "Apprenticeship completion date"),
            _date("Apprentice_TerminatedDate", "Apprenticeship cancellation date"),
            _date("Claim_EffectiveDate", "Effective date of an unemployment-insurance claim"),
            _flag("Ethnicity_Hispanic", "Hispanic/Latino (PIRL 210)"),
            _flag("Race_AmericanIndian", "American Indian/Alaska Native (PIRL 211)"),
            _flag("Race_Asian", "Asian (PIRL 212)"),
            _flag("Race_Black", "Black/African American (PIRL 213)"),
            _flag("Race_PacificIslander", "Native Hawaiian/Other Pacific Islander (PIRL 214)"),
            _flag("Race_White", "White (PIRL 215)"),
        ),
        race_coding="flags",
        race_columns=("Ethnicity_Hispanic", "Race_AmericanIndian", "Race_Asian", "Race_Black",
                      "Race_PacificIslander", "Race_White"),
    ),
    Agency(
        code="SDE",
        name="State Department of Education",
        legal_framework="Education (FERPA)",
        role="K-12 enrolment, attendance, credits, discipline and graduation (one row per student per school year)",
        matching_fields=_NO_SSN,
        analytical=(
            _fake_id(),
            Element("FallOfYear", "integer", "Calendar year at the start of the school year", required=True,
                    minimum=1990, maximum=2100),
            Element("ReportingDistrictCode", "string", "Reporting district code", max_length=10),
            Element("SchoolCode", "string", "School of enrolment", max_length=10),
            Element("GradeLevelCode", "code", "Grade at June collection", required=True,
                    allowed=("PK", "K", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12")),
            Element("RaceEthnicity", "string", "Federal race/ethnicity combination (text)", max_length=50),
            Element("Gender", "code", "Gender of the student", allowed=("Male", "Female", "Non-Binary")),
            _town("ResidentTown"),
            _flag("EnglishLearnerStatus", "Title III English learner"),
            _flag("DisabilityStatus", "Active IEP"),
            _flag("FreeReducedLunchFlag", "Eligible for free/reduced lunch"),
            _flag("HomelessnessStatusFlag", "McKinney-Vento homeless"),
            Element("AttendanceDays", "integer", "Days present this school year", minimum=0, maximum=200),
            Element("MembershipDays", "integer", "Days enrolled this school year", minimum=0, maximum=200),
            Element("CreditsEarned", "decimal", "Carnegie credits earned this school year", minimum=0, maximum=12),
            Element("ISSCount", "integer", "In-school suspensions", minimum=0),
            Element("OSSCount", "integer", "Out-of-school suspensions", minimum=0),
            Element("EXPCount", "integer", "Expulsions", minimum=0),
            _date("GraduationDate", "Regular high school diploma date, on the year it was awarded"),
        ),
        race_coding="combined_string",
        race_columns=("RaceEthnicity",),
    ),
    Agency(
        code="CTECS",
        name="Connecticut Technical Education and Career System",
        legal_framework="Education (FERPA)",
        role="Technical high school enrolment, programmes, credentials and completion",
        matching_fields=_NO_SSN,
        analytical=(
            _fake_id(),
            Element("FallOfYear", "integer", "School year start", required=True, minimum=1990, maximum=2100),
            Element("Enrollment_SchoolID", "string", "Technical high school", max_length=10),
            Element("Grade_Level", "integer", "Grade", minimum=9, maximum=12),
            Element("Program", "string", "Career technical programme (trade)", max_length=40),
            Element("EarnedCrHrs", "decimal", "Credits earned this school year", minimum=0, maximum=12),
            Element("Absences", "integer", "Days absent this school year", minimum=0, maximum=200),
            Element("Credential", "string", "Industry credential earned", max_length=40),
            _date("Credentialdate", "Credential date"),
            Element("Ethnicity", "string", "PowerSchool race/ethnicity code", max_length=10),
            Element("Gender", "code", "Gender", allowed=("M", "F", "U")),
            _town("City"),
        ),
        race_coding="single_code",
        race_columns=("Ethnicity",),
    ),
    Agency(
        code="DOC",
        name="Department of Correction",
        legal_framework="Corrections records (C.G.S. 18-81; state agreement)",
        role="Admissions and releases (incarceration)",
        matching_fields=("LastName", "FirstName", "DOB", "Gender", "SSN", "FakeID"),
        analytical=(
            _fake_id(),
            _date("LatestDOCAdmissionDate", "Admission date", required=True),
            _date("MovementDate", "Release date; empty while in custody"),
            Element("LastMovementCode", "code", "Last movement", allowed=("ADMITTED", "RELEASED", "PAROLED", "TRANSFERRED")),
            Element("Facility", "string", "Facility", max_length=17),
            Element("LegalStatus", "code", "S sentenced, U unsentenced (pretrial), A accused", allowed=("S", "U", "A")),
            Element("Offense", "integer", "Controlling offense code", minimum=0),
            Element("MaximumSentLength", "integer", "Maximum sentence, days", minimum=0),
            Element("Race", "string", "DOC race code", max_length=8),
            Element("Gender", "code", "Gender", allowed=("M", "F", "U")),
            _town("TownofResidence"),
        ),
        race_coding="single_code",
        race_columns=("Race",),
    ),
    Agency(
        code="DCF",
        name="Department of Children and Families",
        legal_framework="Child welfare (Title IV-E and IV-B, CAPTA)",
        role="CPS allegations with substantiation and out-of-home placement episodes",
        matching_fields=_ALL_MATCHING,
        analytical=(
            _fake_id(),
            Element("RecordType", "code", "ALLEGATION or PLACEMENT", required=True, allowed=("ALLEGATION", "PLACEMENT")),
            Element("REPORT_ID", "integer", "CPS report id", minimum=0),
            _date("REPORT_RECEIVED", "Date the report was received"),
            Element("ALLEGATION_ID", "integer", "Allegation id", minimum=0),
            Element("AB_NEG_TYPE", "code", "Abuse/neglect type",
                    allowed=("Physical Neglect", "Emotional Neglect", "Physical Abuse", "Sexual Abuse",
                             "Emotional Abuse", "Medical Neglect", "Educational Neglect")),
            Element("SUBSTANTIATION", "code", "Investigation finding", allowed=("Substantiated", "Unsubstantiated")),
            Element("EPISODE_ID", "integer", "Removal episode id", minimum=0),
            _date("PLACEMENT_START_DATE", "Placement start"),
            _date("PLACEMENT_END_DATE", "Placement end; empty while placed"),
            Element("PLACEMENT_CATEGORY", "code", "Placement setting",
                    allowed=("Foster Care", "Relative Care", "Congregate Care", "Independent Living")),
            Element("RACE_ETHN_COMBO", "string", "DCF combined race/ethnicity string", max_length=80),
            _town(),
        ),
        race_coding="combined_string",
        race_columns=("RACE_ETHN_COMBO",),
    ),
    Agency(
        code="DMHAS",
        name="Department of Mental Health and Addiction Services",
        legal_framework="Behavioral health (HIPAA, 42 CFR Part 2 for substance use)",
        role="Mental health and substance use service episodes",
        matching_fields=("LastName", "MiddleName", "FirstName", "DOB", "Gender", "SSN", "FakeID"),
        analytical=(
            _fake_id(),
            Element("ProviderID", "integer", "Provider", minimum=0),
            Element("ServiceType", "code", "MH mental health; SUD substance use (42 CFR Part 2)",
                    required=True, allowed=("MH", "SUD")),
            _date("AdmissionDate", "Episode admission", required=True),
            _date("DischargeDate", "Episode discharge; empty while open"),
            Element("DischargeReason", "integer", "Discharge reason code", minimum=0, maximum=99),
            Element("Race1", "integer", "DMHAS race code", minimum=0, maximum=99),
            Element("Ethnicity", "integer", "DMHAS ethnicity code", minimum=0, maximum=99),
            Element("EmploymentStatus", "integer", "Employment status at assessment", minimum=0, maximum=99),
        ),
        race_coding="single_code",
        race_columns=("Race1", "Ethnicity"),
    ),
    Agency(
        code="DSS",
        name="Department of Social Services",
        legal_framework="SNAP (7 CFR 272.1(c)), TANF (45 CFR 205.50), Medicaid (HIPAA, C.G.S. 17b-90)",
        role="SNAP, TANF and Medicaid eligibility spells (designed: DSS published a blank dictionary)",
        matching_fields=("LastName", "MiddleName", "FirstName", "DOB", "Gender", "SSN", "FakeID"),
        analytical=(
            _fake_id(),
            Element("Program", "code", "Benefit programme", required=True, allowed=("SNAP", "TANF", "MEDICAID")),
            _date("EligibilityBeginDate", "Spell start", required=True),
            _date("EligibilityEndDate", "Spell end; empty while open"),
            Element("HouseholdSize", "integer", "Assistance unit size", minimum=1, maximum=20),
            Element("Race", "string", "DSS race code", max_length=20),
            _flag("HispanicFlag", "Hispanic/Latino"),
            _town("CaseTown"),
        ),
        race_coding="single_code",
        race_columns=("Race", "HispanicFlag"),
    ),
    Agency(
        code="OEC",
        name="Office of Early Childhood",
        legal_framework="Education (FERPA)",
        role="Early care (Care 4 Kids), home visiting and pre-K enrolments",
        matching_fields=("LastName", "MiddleName", "FirstName", "DOB", "Gender", "SASID", "FakeID"),
        analytical=(
            _fake_id(),
            Element("RecordType", "code", "Programme", required=True, allowed=("CARE4KIDS", "PREK", "HOMEVISITING")),
            Element("EnrollmentId", "integer", "Enrolment id", minimum=0),
            Element("FacilityCode", "string", "Provider/facility", max_length=12),
            _date("EnrollmentStartDate", "Enrolment start", required=True),
            _date("EnrollmentEndDate", "Enrolment end"),
            _flag("IsHispanic", "Hispanic/Latino"),
            _flag("AmericanIndian", "American Indian/Alaska Native"),
            _flag("Asian", "Asian"),
            _flag("Black", "Black/African American"),
            _flag("Hawaiian", "Native Hawaiian/Pacific Islander"),
            _flag("White", "White"),
            _town(),
        ),
        race_coding="flags",
        race_columns=("IsHispanic", "AmericanIndian", "Asian", "Black", "Hawaiian", "White"),
    ),
    Agency(
        code="OHE",
        name="Office of Higher Education",
        legal_framework="Financial aid (Higher Education Act) and Education (FERPA)",
        role="State financial aid awards (FAFSA-based)",
        matching_fields=("LastName", "FirstName", "DOB", "Gender", "SSN", "FakeID"),
        analytical=(
            _fake_id(),
            Element("AcademicYear", "integer", "Fall year of the award year", required=True, minimum=1990, maximum=2100),
            Element("FederalSchoolCode", "string", "Federal school code", pattern=r"[0-9A-Z]{6}"),
            Element("EnrollmentStatusFall", "code", "Fall enrolment", allowed=("FT", "PT")),
            Element("RaceEthnicity", "integer", "IPEDS race/ethnicity code", minimum=1, maximum=9),
            Element("Gender", "integer", "1 male, 2 female, 3 other/unknown", minimum=1, maximum=3),
            Element("FAFSAFiled", "code", "FAFSA filed", allowed=("Y", "N")),
            Element("PellGrantAward", "decimal", "Pell grant, dollars", minimum=0),
            Element("RobertaWillisNeedBasedAward", "decimal", "Roberta Willis need-based award, dollars", minimum=0),
        ),
        race_coding="ipeds_code",
        race_columns=("RaceEthnicity",),
    ),
    Agency(
        code="OWS",
        name="Office of Workforce Strategy",
        legal_framework="Workforce (WIOA)",
        role="Workforce training enrolments and credentials (designed: OWS published a blank dictionary)",
        matching_fields=("LastName", "FirstName", "DOB", "Gender", "SSN", "FakeID"),
        analytical=(
            _fake_id(),
            Element("ProgramName", "string", "Training programme", required=True, max_length=60),
            _date("ProgramStartDate", "Training start", required=True),
            _date("ProgramExitDate", "Training exit"),
            Element("CredentialEarned", "code", "Recognised credential earned", allowed=("Y", "N")),
            Element("CredentialType", "string", "Credential type", max_length=40),
            _flag("Ethnicity_Hispanic", "Hispanic/Latino"),
            Element("Race", "string", "Race (PIRL-style single code)", max_length=20),
        ),
        race_coding="single_code",
        race_columns=("Ethnicity_Hispanic", "Race"),
    ),
    Agency(
        code="CCIC",
        name="Connecticut Conference of Independent Colleges",
        legal_framework="Education (FERPA)",
        role="Private college term enrolments and degrees",
        matching_fields=("LastName", "MiddleName", "FirstName", "DOB", "Gender", "HighSchoolCode", "SASID", "FakeID"),
        analytical=(
            _fake_id(),
            Element("Institution", "string", "Member institution", max_length=60),
            Element("AcademicTermDesignator", "string", "Term, e.g. 2019FA", required=True, pattern=r"[0-9]{4}(FA|SP|SU)"),
            Element("PartTimeFullTimeStatus", "code", "Part-time/full-time", allowed=("FT", "PT")),
            Element("IPEDSRaceEthnicity", "integer", "IPEDS reported race/ethnicity code", minimum=1, maximum=9),
            Element("Sex", "code", "Sex", allowed=("M", "F", "U")),
            Element("DegreeAwarded1", "string", "Degree awarded", max_length=20),
            _date("DegreeDate1", "Degree date"),
        ),
        race_coding="ipeds_code",
        race_columns=("IPEDSRaceEthnicity",),
    ),
    Agency(
        code="CSCU",
        name="Connecticut State Colleges and Universities",
        legal_framework="Education (FERPA)",
        role="Public college (community colleges and state universities) term enrolments and degrees",
        matching_fields=("LastName", "MiddleName", "FirstName", "DOB", "Gender", "HighSchoolCode", "SSN", "FakeID"),
        analytical=(
            _fake_id(),
            Element("InstitutionCode", "string", "Institution", max_length=10),
            Element("TermCode", "string", "Term, e.g. 2019FA", required=True, pattern=r"[0-9]{4}(FA|SP|SU)"),
            Element("EnrollmentStatus", "code", "Enrolment status", allowed=("FT", "PT")),
            Element("Gender", "code", "Gender", allowed=("M", "F", "U")),
            _flag("EthnicityHispanic", "Hispanic/Latino"),
            _flag("RaceAmerIndianAlaskan", "American Indian/Alaska Native"),
            _flag("RaceAsian", "Asian"),
            _flag("RaceBlack", "Black/African American"),
            _flag("RaceHawaiianPacific", "Native Hawaiian/Pacific Islander"),
            _flag("RaceWhite", "White"),
            Element("DegreeCode", "string", "Degree awarded", max_length=10),
            _date("GraduationDate", "Graduation date"),
        ),
        race_coding="flags",
        race_columns=("EthnicityHispanic", "RaceAmerIndianAlaskan", "RaceAsian", "RaceBlack",
                      "RaceHawaiianPacific", "RaceWhite"),
    ),
    Agency(
        code="UConn",
        name="University of Connecticut",
        legal_framework="Education (FERPA)",
        role="University term enrolments and degrees",
        matching_fields=("LastName", "MiddleName", "FirstName", "DOB", "Gender", "HighSchoolCode", "SSN", "FakeID"),
        analytical=(
            _fake_id(),
            Element("CTERM_TERM_CD", "string", "Term, e.g. 2019FA", required=True, pattern=r"[0-9]{4}(FA|SP|SU)"),
            Element("Campus", "string", "Campus", max_length=20),
            Element("FullPart", "code", "Full/part time", allowed=("F", "P")),
            Element("IPEDS_Ethnicity", "integer", "IPEDS race/ethnicity code", minimum=1, maximum=9),
            Element("Gender", "code", "Gender", allowed=("M", "F", "U")),
            Element("DegreeCode", "string", "Degree awarded", max_length=10),
            _date("GraduationDate", "Graduation date"),
        ),
        race_coding="ipeds_code",
        race_columns=("IPEDS_Ethnicity",),
    ),
    Agency(
        code="CCEH",
        name="Connecticut Coalition to End Homelessness",
        legal_framework="Homelessness (HUD HMIS regulations)",
        role="HMIS project enrolments (entry/exit, project type)",
        matching_fields=("LastName", "MiddleName", "FirstName", "DOB", "Gender", "SSN", "FakeID"),
        analytical=(
            _fake_id(),
            Element("ProjectType", "code", "HUD project type: 0/1 ES, 2 TH, 3 PSH, 4 SO, 13 RRH",
                    required=True, allowed=("0", "1", "2", "3", "4", "13")),
            _date("ProjectStartDate", "Project entry", required=True),
            _date("ProjectExitDate", "Project exit; empty while enrolled"),
            Element("ExitDestination", "integer", "HUD exit destination code", minimum=0, maximum=499),
            Element("RelationshipToHoH", "integer", "Relationship to head of household", minimum=1, maximum=5),
            Element("Race", "integer", "HUD race code", minimum=1, maximum=99),
            Element("Ethnicity", "integer", "HUD ethnicity code (0 non-Hispanic, 1 Hispanic, 8/9/99 unknown)",
                    minimum=0, maximum=99),
            Element("VeteranStatus", "integer", "HUD veteran status", minimum=0, maximum=99),
            _town(),
        ),
        race_coding="hud_code",
        race_columns=("Race", "Ethnicity"),
    ),
    Agency(
        code="CSSD",
        name="Judicial Branch Court Support Services Division",
        legal_framework="Juvenile records (C.G.S. 46b-124)",
        role="Juvenile probation cases (no race collected)",
        matching_fields=("LastName", "FirstName", "DOB", "Gender", "FakeID"),
        analytical=(
            _fake_id(),
            Element("CaseType", "code", "Juvenile case type", required=True, allowed=("Delinquency", "FWSN", "YIC")),
            _date("CaseStartDate", "Case start", required=True),
            _date("CaseEndDate", "Case end; empty while open"),
            Element("MostSeriousStatuteNum", "string", "Most serious statute, e.g. 53a-125b", max_length=20),
            Element("MostSeriousDisposition", "code", "Disposition",
                    allowed=("Nolle", "Dismissed", "Probation", "Committed", "Non-Judicial", "Pending")),
            _flag("DetentionStatus", "Detained during the case"),
            Element("CourtCode", "string", "Juvenile court", max_length=10),
        ),
        race_coding="none",
    ),
)

AGENCY_BY_CODE: dict[str, Agency] = {a.code: a for a in AGENCIES}
AGENCY_CODES: tuple[str, ...] = tuple(AGENCY_BY_CODE)


def agency(code: str) -> Agency:
    """Look an agency up by its code, case-insensitively, with a helpful error."""
    for known in AGENCY_CODES:
        if known.lower() == code.lower():
            return AGENCY_BY_CODE[known]
    raise KeyError(f"unknown agency {code!r}; known agencies: {', '.join(AGENCY_CODES)}")


# Analytical elements that are not in the agency's published dictionary, and why. Everything
# else is named as the agency publishes it (spaces and punctuation dropped); a test holds the
# registry to this, so a new element is either found in the dictionary or justified here.
DESIGNED_ELEMENTS: dict[str, dict[str, str]] = {
    "DOL": {"RecordType": "one analytical file per request carries UI wages, UI claims and apprenticeships",
            "Claim_EffectiveDate": "UI claims are not in the published dictionary; the claims system holds the "
                                   "claimant's DOB, which the matching file carries for claimants and apprentices",
            **{c: "PIRL race flags (elements 211-215) under a short name" for c in (
                "Race_AmericanIndian", "Race_Asian", "Race_Black", "Race_PacificIslander", "Race_White")}},
    "CTECS": {"FallOfYear": "school year of the record, as in SDE", "Program": "the trade a student studies"},
    "DCF": {"RecordType": "one analytical file carries allegations and placements",
            "RACE_ETHN_COMBO": "VICTIM_/CIP_RACE_ETHN_COMBO under one name for both record types"},
    "DMHAS": {"ServiceType": "MH versus substance use (42 CFR Part 2) episodes"},
    "DSS": {c: "DSS published a blank dictionary" for c in (
        "Program", "EligibilityBeginDate", "EligibilityEndDate", "HouseholdSize", "Race", "HispanicFlag", "CaseTown")},
    "OEC": {"EnrollmentStartDate": "enrolment dates are not in the published list",
            "EnrollmentEndDate": "enrolment dates are not in the published list"},
    "OHE": {"AcademicYear": "award year of the record",
            "RobertaWillisNeedBasedAward": "Roberta Willis Scholarship Need-Based Award, shortened"},
    "OWS": {c: "OWS published a blank dictionary" for c in (
        "ProgramName", "ProgramStartDate", "ProgramExitDate", "CredentialEarned", "CredentialType",
        "Ethnicity_Hispanic", "Race")},
    "CCIC": {"Institution": "member institution of the record",
             "IPEDSRaceEthnicity": "IPEDS reported race/ethnicity, shortened"},
    "CCEH": {"RelationshipToHoH": "Relationship to Head of Household, shortened", "Town": "HMIS client town"},
}
