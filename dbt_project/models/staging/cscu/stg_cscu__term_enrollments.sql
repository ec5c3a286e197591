-- One row per student per term at a community college or state university.
select
    FakeID as fake_id,
    InstitutionCode as institution,
    {{ term_columns('TermCode') }},
    EnrollmentStatus as enrollment_status,
    -- race/ethnicity codes under their delivered names: the race_crosswalk seed is keyed on them
    EthnicityHispanic,
    RaceAmerIndianAlaskan,
    RaceAsian,
    RaceBlack,
    RaceHawaiianPacific,
    RaceWhite,
    Gender as gender_raw,
    {{ sex_from('Gender') }} as sex,
    DegreeCode as degree_awarded,
    GraduationDate as degree_date,
    delivery_sha256
from {{ source('cscu', 'analytical') }}
