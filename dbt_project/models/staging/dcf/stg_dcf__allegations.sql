-- One row per maltreatment allegation in a CPS report.
-- The town test's seed: a parent here, so Dagster's dbt step that builds this model runs that test.
-- depends_on: {{ ref('ct_towns') }}
select
    FakeID as fake_id,
    REPORT_ID as report_id,
    REPORT_RECEIVED as report_received_date,
    ALLEGATION_ID as allegation_id,
    AB_NEG_TYPE as maltreatment_type,
    SUBSTANTIATION as substantiation,
    SUBSTANTIATION = 'Substantiated' as is_substantiated,
    -- race/ethnicity codes under their delivered names: the race_crosswalk seed is keyed on them
    RACE_ETHN_COMBO,
    nullif(trim(Town), '') as town,
    delivery_sha256
from {{ source('dcf', 'analytical') }}
where RecordType = 'ALLEGATION'
