-- One row per person per quarter of UI-covered wages.
with records as (
    {{ staged_records('DOL', 'dol', ['Ethnicity_Hispanic', 'Race_AmericanIndian', 'Race_Asian', 'Race_Black',
                                     'Race_PacificIslander', 'Race_White'], where="records.RecordType = 'UI_WAGE'") }}
)

select
    p20_id,
    FakeID as fake_id,
    "Year" as wage_year,
    "Quarter" as wage_quarter,
    Wage as wages,
    NAICS_Code as naics_code,
    race_raw,
    race_ethnicity,
    delivery_sha256
from records
