-- One row per early care (Care 4 Kids), pre-K or home visiting enrolment.
-- The town test's seed: a parent here, so Dagster's dbt step that builds this model runs that test.
-- depends_on: {{ ref('ct_towns') }}
select
    FakeID as fake_id,
    RecordType as program,
    EnrollmentId as enrollment_id,
    FacilityCode as facility_code,
    EnrollmentStartDate as enrollment_start_date,
    EnrollmentEndDate as enrollment_end_date,
    -- race/ethnicity codes under their delivered names: the race_crosswalk seed is keyed on them
    IsHispanic,
    AmericanIndian,
    Asian,
    Black,
    Hawaiian,
    White,
    nullif(trim(Town), '') as town,
    delivery_sha256
from {{ source('oec', 'analytical') }}
