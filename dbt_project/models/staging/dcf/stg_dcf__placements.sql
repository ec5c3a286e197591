-- One row per out-of-home placement; placement_end_date null while placed.
-- The town test's seed: a parent here, so Dagster's dbt step that builds this model runs that test.
-- depends_on: {{ ref('ct_towns') }}
select
    FakeID as fake_id,
    EPISODE_ID as episode_id,
    PLACEMENT_START_DATE as placement_start_date,
    PLACEMENT_END_DATE as placement_end_date,
    PLACEMENT_CATEGORY as placement_category,
    -- race/ethnicity codes under their delivered names: the race_crosswalk seed is keyed on them
    RACE_ETHN_COMBO,
    nullif(trim(Town), '') as town,
    delivery_sha256
from {{ source('dcf', 'analytical') }}
where RecordType = 'PLACEMENT'
