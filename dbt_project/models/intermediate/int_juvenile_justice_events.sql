-- Each person's juvenile-justice timeline: every CSSD case, numbered in start order.
select
    p20_id,
    case_start_date as event_date,
    case_end_date as event_end_date,
    row_number() over (partition by p20_id order by case_start_date, case_type) as case_sequence,
    case_type,
    most_serious_disposition,
    coalesce(was_detained, false) as was_detained
from {{ ref('int_cssd__juvenile_cases') }}
where p20_id is not null
