-- One row per SNAP, TANF or Medicaid eligibility spell; end date null while open.
-- The town test's seed: a parent here, so Dagster's dbt step that builds this model runs that test.
-- depends_on: {{ ref('ct_towns') }}
select
    FakeID as fake_id,
    Program as program,
    EligibilityBeginDate as eligibility_begin_date,
    EligibilityEndDate as eligibility_end_date,
    HouseholdSize as household_size,
    -- race/ethnicity codes under their delivered names: the race_crosswalk seed is keyed on them
    Race,
    HispanicFlag,
    nullif(trim(CaseTown), '') as town,
    delivery_sha256
from {{ source('dss', 'analytical') }}
