-- One row per student per financial aid award year (AcademicYear = the fall year).
with records as (
    {{ staged_records('OHE', 'ohe', ['RaceEthnicity']) }}
)

select
    p20_id,
    FakeID as fake_id,
    AcademicYear as academic_year,
    FederalSchoolCode as federal_school_code,
    EnrollmentStatusFall as enrollment_status_fall,
    race_raw,
    race_ethnicity,
    Gender as gender_raw,
    {{ sex_from('Gender', '1', '2') }} as sex,
    FAFSAFiled = 'Y' as filed_fafsa,
    PellGrantAward as pell_grant_award,
    RobertaWillisNeedBasedAward as roberta_willis_award,
    delivery_sha256
from records
