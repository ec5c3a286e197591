-- One row per mental health (MH) or substance use (SUD, 42 CFR Part 2) service episode.
select
    FakeID as fake_id,
    ProviderID as provider_id,
    ServiceType as service_type,
    AdmissionDate as admission_date,
    DischargeDate as discharge_date,
    DischargeReason as discharge_reason_code,
    EmploymentStatus as employment_status_code,
    -- race/ethnicity codes under their delivered names: the race_crosswalk seed is keyed on them
    Race1,
    Ethnicity,
    delivery_sha256
from {{ source('dmhas', 'analytical') }}
