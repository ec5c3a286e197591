-- Youth-years whose disconnected/connected status the data cannot decide (wages unlinkable, or
-- diploma unknown), with the hub's probability that each is disconnected: replicate 0 is the
-- point estimate, replicates 1.. carry the uncertainty of the measured error rates.
select
    p20_id,
    report_year,
    replicate,
    p_disconnected,
    p_employed_unseen,
    p_diploma,
    p_severe
from {{ source('estimation', 'undecided_status') }}
