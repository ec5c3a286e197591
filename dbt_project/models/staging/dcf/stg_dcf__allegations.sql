-- One row per maltreatment allegation in a CPS report.
with records as (
    {{ staged_records('DCF', 'dcf', ['RACE_ETHN_COMBO'], where="records.RecordType = 'ALLEGATION'") }}
)

select
    p20_id,
    FakeID as fake_id,
    REPORT_ID as report_id,
    REPORT_RECEIVED as report_received_date,
    ALLEGATION_ID as allegation_id,
    AB_NEG_TYPE as maltreatment_type,
    SUBSTANTIATION as substantiation,
    SUBSTANTIATION = 'Substantiated' as is_substantiated,
    race_raw,
    race_ethnicity,
    nullif(trim(Town), '') as town,
    delivery_sha256
from records
