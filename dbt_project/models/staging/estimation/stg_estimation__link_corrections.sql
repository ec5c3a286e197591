-- Youth-years that may be half of one person the index split in two, or whose job sits on a wage
-- record left apart, with the disconnected count each adds in expectation (from the match
-- probabilities of the pairs the index did not join).
select
    p20_id,
    report_year,
    disconnected_overcount,
    overcount_variance
from {{ source('estimation', 'link_corrections') }}
