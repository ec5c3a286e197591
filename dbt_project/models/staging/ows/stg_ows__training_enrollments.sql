-- One row per workforce training enrolment; exit date null while enrolled.
select
    FakeID as fake_id,
    ProgramName as program_name,
    ProgramStartDate as program_start_date,
    ProgramExitDate as program_exit_date,
    CredentialEarned = 'Y' as earned_credential,
    CredentialType as credential_type,
    -- race/ethnicity codes under their delivered names: the race_crosswalk seed is keyed on them
    Ethnicity_Hispanic,
    Race,
    delivery_sha256
from {{ source('ows', 'analytical') }}
