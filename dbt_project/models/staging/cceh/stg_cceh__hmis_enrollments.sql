-- One row per HMIS project enrolment (emergency shelter, transitional housing, ...).
-- The town test's seed: a parent here, so Dagster's dbt step that builds this model runs that test.
-- depends_on: {{ ref('ct_towns') }}
select
    FakeID as fake_id,
    ProjectType as project_type_code,
    case ProjectType
        when '0' then 'Emergency shelter' when '1' then 'Emergency shelter'
        when '2' then 'Transitional housing' when '3' then 'Permanent supportive housing'
        when '4' then 'Street outreach' when '13' then 'Rapid re-housing'
    end as project_type,
    ProjectStartDate as project_start_date,
    ProjectExitDate as project_exit_date,
    ExitDestination as exit_destination_code,
    RelationshipToHoH as relationship_to_head_of_household,
    VeteranStatus as veteran_status_code,
    -- race/ethnicity codes under their delivered names: the race_crosswalk seed is keyed on them
    Race,
    Ethnicity,
    nullif(trim(Town), '') as town,
    delivery_sha256
from {{ source('cceh', 'analytical') }}
