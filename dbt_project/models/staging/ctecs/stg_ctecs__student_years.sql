-- One row per technical high school student per school year.
-- The town test's seed: a parent here, so Dagster's dbt step that builds this model runs that test.
-- depends_on: {{ ref('ct_towns') }}
select
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
    -- race/ethnicity codes under their delivered names: the race_crosswalk seed is keyed on them
    Ethnicity,
    Gender as gender_raw,
    {{ sex_from('Gender') }} as sex,
    nullif(trim(City), '') as town,
    delivery_sha256
from {{ source('ctecs', 'analytical') }}
