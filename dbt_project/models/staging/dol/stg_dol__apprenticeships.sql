-- One row per registered apprenticeship; it ends at completion or cancellation, whichever is recorded.
with records as (
    {{ staged_records('DOL', 'dol', ['Ethnicity_Hispanic', 'Race_AmericanIndian', 'Race_Asian', 'Race_Black',
                                     'Race_PacificIslander', 'Race_White'], where="records.RecordType = 'APPRENTICESHIP'") }}
)

select
    p20_id,
    FakeID as fake_id,
    Apprentice_Trade as trade_code,
    Apprentice_EnrolledDate as enrolled_date,
    Apprentice_CompletedDate as completed_date,
    Apprentice_TerminatedDate as terminated_date,
    coalesce(Apprentice_CompletedDate, Apprentice_TerminatedDate) as end_date,
    race_raw,
    race_ethnicity,
    delivery_sha256
from records
