-- One row per registered apprenticeship; it ends at completion or cancellation, whichever is recorded.
select
    FakeID as fake_id,
    Apprentice_Trade as trade_code,
    Apprentice_EnrolledDate as enrolled_date,
    Apprentice_CompletedDate as completed_date,
    Apprentice_TerminatedDate as terminated_date,
    coalesce(Apprentice_CompletedDate, Apprentice_TerminatedDate) as end_date,
    -- race/ethnicity codes under their delivered names: the race_crosswalk seed is keyed on them
    Ethnicity_Hispanic,
    Race_AmericanIndian,
    Race_Asian,
    Race_Black,
    Race_PacificIslander,
    Race_White,
    delivery_sha256
from {{ source('dol', 'analytical') }}
where RecordType = 'APPRENTICESHIP'
