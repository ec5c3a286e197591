-- One row per early care (Care 4 Kids), pre-K or home visiting enrolment.
with records as (
    {{ staged_records('OEC', 'oec', ['IsHispanic', 'AmericanIndian', 'Asian', 'Black', 'Hawaiian', 'White']) }}
)

select
    p20_id,
    FakeID as fake_id,
    RecordType as program,
    EnrollmentId as enrollment_id,
    FacilityCode as facility_code,
    EnrollmentStartDate as enrollment_start_date,
    EnrollmentEndDate as enrollment_end_date,
    race_raw,
    race_ethnicity,
    nullif(trim(Town), '') as town,
    delivery_sha256
from records
