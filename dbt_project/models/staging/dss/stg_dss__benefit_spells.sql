-- One row per SNAP, TANF or Medicaid eligibility spell; end date null while open.
with records as (
    {{ staged_records('DSS', 'dss', ['Race', 'HispanicFlag']) }}
)

select
    p20_id,
    FakeID as fake_id,
    Program as program,
    EligibilityBeginDate as eligibility_begin_date,
    EligibilityEndDate as eligibility_end_date,
    HouseholdSize as household_size,
    race_raw,
    race_ethnicity,
    nullif(trim(CaseTown), '') as town,
    delivery_sha256
from records
