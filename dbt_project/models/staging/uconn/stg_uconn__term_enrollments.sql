-- One row per student per term at the University of Connecticut.
with records as (
    {{ staged_records('UConn', 'uconn', ['IPEDS_Ethnicity']) }}
)

select
    p20_id,
    FakeID as fake_id,
    Campus as institution,
    {{ term_columns('CTERM_TERM_CD') }},
    case FullPart when 'F' then 'FT' when 'P' then 'PT' end as enrollment_status,
    race_raw,
    race_ethnicity,
    Gender as gender_raw,
    {{ sex_from('Gender') }} as sex,
    DegreeCode as degree_awarded,
    GraduationDate as degree_date,
    delivery_sha256
from records
