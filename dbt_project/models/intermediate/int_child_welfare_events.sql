-- Each person's child-welfare timeline: every DCF allegation and placement as a dated event.
-- `counts_as_involvement` marks what the crossover definition counts (a substantiated
-- allegation or any out-of-home placement).
select
    p20_id,
    report_received_date as event_date,
    case when is_substantiated then 'substantiated_allegation' else 'unsubstantiated_allegation' end as event_type,
    maltreatment_type as event_detail,
    cast(null as date) as event_end_date,
    coalesce(is_substantiated, false) as counts_as_involvement
from {{ ref('int_dcf__allegations') }}
where p20_id is not null

union all

select
    p20_id,
    placement_start_date,
    'placement',
    placement_category,
    placement_end_date,
    true
from {{ ref('int_dcf__placements') }}
where p20_id is not null
