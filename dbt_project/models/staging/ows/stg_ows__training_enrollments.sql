-- One row per workforce training enrolment; exit date null while enrolled.
with records as (
    {{ staged_records('OWS', 'ows', ['Ethnicity_Hispanic', 'Race']) }}
)

select
    p20_id,
    FakeID as fake_id,
    ProgramName as program_name,
    ProgramStartDate as program_start_date,
    ProgramExitDate as program_exit_date,
    CredentialEarned = 'Y' as earned_credential,
    CredentialType as credential_type,
    race_raw,
    race_ethnicity,
    delivery_sha256
from records
