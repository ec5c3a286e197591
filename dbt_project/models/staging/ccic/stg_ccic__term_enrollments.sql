-- One row per student per term at an independent college.
select
    FakeID as fake_id,
    Institution as institution,
    {{ term_columns('AcademicTermDesignator') }},
    PartTimeFullTimeStatus as enrollment_status,
    -- race/ethnicity codes under their delivered names: the race_crosswalk seed is keyed on them
    IPEDSRaceEthnicity,
    Sex as gender_raw,
    {{ sex_from('Sex') }} as sex,
    DegreeAwarded1 as degree_awarded,
    DegreeDate1 as degree_date,
    delivery_sha256
from {{ source('ccic', 'analytical') }}
