-- One row per out-of-home placement; placement_end_date null while placed.
with records as (
    {{ staged_records('DCF', 'dcf', ['RACE_ETHN_COMBO'], where="records.RecordType = 'PLACEMENT'") }}
)

select
    p20_id,
    FakeID as fake_id,
    EPISODE_ID as episode_id,
    PLACEMENT_START_DATE as placement_start_date,
    PLACEMENT_END_DATE as placement_end_date,
    PLACEMENT_CATEGORY as placement_category,
    race_raw,
    race_ethnicity,
    nullif(trim(Town), '') as town,
    delivery_sha256
from records
