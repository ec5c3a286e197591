-- One row per student per term at an independent college.
with records as (
    {{ staged_records('CCIC', 'ccic', ['IPEDSRaceEthnicity']) }}
)

select
    p20_id,
    FakeID as fake_id,
    Institution as institution,
    {{ term_columns('AcademicTermDesignator') }},
    PartTimeFullTimeStatus as enrollment_status,
    race_raw,
    race_ethnicity,
    Sex as gender_raw,
    {{ sex_from('Sex') }} as sex,
    DegreeAwarded1 as degree_awarded,
    DegreeDate1 as degree_date,
    delivery_sha256
from records
