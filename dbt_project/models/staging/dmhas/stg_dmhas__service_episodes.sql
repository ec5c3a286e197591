-- One row per mental health (MH) or substance use (SUD, 42 CFR Part 2) service episode.
with records as (
    {{ staged_records('DMHAS', 'dmhas', ['Race1', 'Ethnicity']) }}
)

select
    p20_id,
    FakeID as fake_id,
    ProviderID as provider_id,
    ServiceType as service_type,
    AdmissionDate as admission_date,
    DischargeDate as discharge_date,
    DischargeReason as discharge_reason_code,
    EmploymentStatus as employment_status_code,
    race_raw,
    race_ethnicity,
    delivery_sha256
from records
