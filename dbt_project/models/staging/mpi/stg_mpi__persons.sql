-- One row per person in the master person index: the pseudonymous facts the hub publishes
-- (birth year and whether the birthday falls by June 30, never a date of birth; whether any
-- record carries an SSN, never the SSN).
select
    p20_id,
    birth_year,
    born_by_june_30,
    case when sex in ('M', 'F') then sex end as sex,
    wage_linkable
from {{ source('mpi', 'persons') }}
