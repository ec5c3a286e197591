-- One row per technical high school student per school year.
with records as (
    {{ staged_records('CTECS', 'ctecs', ['Ethnicity']) }}
)

select
    p20_id,
    FakeID as fake_id,
    FallOfYear as fall_of_year,
    FallOfYear + 1 as report_year,
    Enrollment_SchoolID as school_id,
    Grade_Level as grade_number,
    Program as program,
    EarnedCrHrs as credits_earned,
    Absences as absence_days,
    Credential as credential,
    Credentialdate as credential_date,
    race_raw,
    race_ethnicity,
    Gender as gender_raw,
    {{ sex_from('Gender') }} as sex,
    nullif(trim(City), '') as town,
    delivery_sha256
from records
