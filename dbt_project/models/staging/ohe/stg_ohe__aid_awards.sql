-- One row per student per financial aid award year (AcademicYear = the fall year).
select
    FakeID as fake_id,
    AcademicYear as academic_year,
    FederalSchoolCode as federal_school_code,
    EnrollmentStatusFall as enrollment_status_fall,
    -- race/ethnicity codes under their delivered names: the race_crosswalk seed is keyed on them
    RaceEthnicity,
    Gender as gender_raw,
    {{ sex_from('Gender', '1', '2') }} as sex,
    FAFSAFiled = 'Y' as filed_fafsa,
    PellGrantAward as pell_grant_award,
    RobertaWillisNeedBasedAward as roberta_willis_award,
    delivery_sha256
from {{ source('ohe', 'analytical') }}
