-- A status rests on unlinkable wages only when wages would make it connected: that is a
-- moderately disconnected youth with a diploma (or an unknown one, presumed held) whose index
-- entry holds no SSN.
select p20_id, report_year, status, wage_linkable
from {{ ref('disconnected_youth_person_year') }}
where status_rests_on_unlinkable_wages
    and (status <> 'disconnected_moderate' or wage_linkable
         or not (has_diploma or (diploma_status = 'unknown' and not presumed_in_school_elsewhere)))
