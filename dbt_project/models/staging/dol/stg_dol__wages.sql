-- One row per person per quarter of UI-covered wages.
select
    FakeID as fake_id,
    "Year" as wage_year,
    "Quarter" as wage_quarter,
    Wage as wages,
    NAICS_Code as naics_code,
    -- race/ethnicity codes under their delivered names: the race_crosswalk seed is keyed on them
    Ethnicity_Hispanic,
    Race_AmericanIndian,
    Race_Asian,
    Race_Black,
    Race_PacificIslander,
    Race_White,
    delivery_sha256
from {{ source('dol', 'analytical') }}
where RecordType = 'UI_WAGE'
