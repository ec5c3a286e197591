-- One row per admission to a Department of Correction facility; release_date null while in custody.
-- The town test's seed: a parent here, so Dagster's dbt step that builds this model runs that test.
-- depends_on: {{ ref('ct_towns') }}
select
    FakeID as fake_id,
    LatestDOCAdmissionDate as admission_date,
    MovementDate as release_date,
    LastMovementCode as last_movement_code,
    Facility as facility,
    LegalStatus as legal_status,
    Offense as offense_code,
    MaximumSentLength as maximum_sentence_days,
    -- race/ethnicity codes under their delivered names: the race_crosswalk seed is keyed on them
    Race,
    Gender as gender_raw,
    {{ sex_from('Gender') }} as sex,
    nullif(trim(TownofResidence), '') as town,
    delivery_sha256
from {{ source('doc', 'analytical') }}
