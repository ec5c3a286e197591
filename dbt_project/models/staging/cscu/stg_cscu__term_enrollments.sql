-- One row per student per term at a community college or state university.
with records as (
    {{ staged_records('CSCU', 'cscu', ['EthnicityHispanic', 'RaceAmerIndianAlaskan', 'RaceAsian', 'RaceBlack',
                                       'RaceHawaiianPacific', 'RaceWhite']) }}
)

select
    p20_id,
    FakeID as fake_id,
    InstitutionCode as institution,
    {{ term_columns('TermCode') }},
    EnrollmentStatus as enrollment_status,
    race_raw,
    race_ethnicity,
    Gender as gender_raw,
    {{ sex_from('Gender') }} as sex,
    DegreeCode as degree_awarded,
    GraduationDate as degree_date,
    delivery_sha256
from records
