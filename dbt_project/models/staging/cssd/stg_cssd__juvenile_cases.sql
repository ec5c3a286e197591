-- One row per juvenile court case (CSSD collects no race).
select
    FakeID as fake_id,
    CaseType as case_type,
    CaseStartDate as case_start_date,
    CaseEndDate as case_end_date,
    MostSeriousStatuteNum as most_serious_statute,
    MostSeriousDisposition as most_serious_disposition,
    DetentionStatus as was_detained,
    CourtCode as court_code,
    delivery_sha256
from {{ source('cssd', 'analytical') }}
