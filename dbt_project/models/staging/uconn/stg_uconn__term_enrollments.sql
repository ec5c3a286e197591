-- One row per student per term at the University of Connecticut.
select
    FakeID as fake_id,
    Campus as institution,
    {{ term_columns('CTERM_TERM_CD') }},
    case FullPart when 'F' then 'FT' when 'P' then 'PT' end as enrollment_status,
    -- race/ethnicity codes under their delivered names: the race_crosswalk seed is keyed on them
    IPEDS_Ethnicity,
    Gender as gender_raw,
    {{ sex_from('Gender') }} as sex,
    DegreeCode as degree_awarded,
    GraduationDate as degree_date,
    delivery_sha256
from {{ source('uconn', 'analytical') }}
