-- One row per crossover youth: involved with child welfare (a substantiated DCF allegation or
-- an out-of-home placement) and with juvenile justice (a CSSD case). The pathway compares first
-- entries: more than 30 days apart decides which system came first, otherwise the same time.
with child_welfare as (
    select
        p20_id,
        min(event_date) filter (where counts_as_involvement) as first_child_welfare_date,
        count(*) filter (where event_type = 'substantiated_allegation') as substantiated_allegations,
        count(*) filter (where event_type = 'placement') as placements,
        count(*) filter (where event_type = 'placement' and event_detail = 'Congregate Care') as congregate_care_placements
    from {{ ref('int_child_welfare_events') }}
    group by p20_id
    having bool_or(counts_as_involvement)
),

juvenile_justice as (
    select
        p20_id,
        min(event_date) as first_juvenile_justice_date,
        count(*) as juvenile_cases,
        count(*) filter (where case_type = 'Delinquency') as delinquency_cases,
        count(*) filter (where was_detained) as detained_cases
    from {{ ref('int_juvenile_justice_events') }}
    group by p20_id
),

crossover as (
    select
        child_welfare.*,
        juvenile_justice.* exclude (p20_id),
        date_diff('day', child_welfare.first_child_welfare_date, juvenile_justice.first_juvenile_justice_date)
            as days_child_welfare_to_juvenile_justice
    from child_welfare
    inner join juvenile_justice on juvenile_justice.p20_id = child_welfare.p20_id
)

select
    crossover.p20_id,
    case
        when days_child_welfare_to_juvenile_justice > {{ var('crossover_same_time_days') }} then 'child_welfare_first'
        when days_child_welfare_to_juvenile_justice < - {{ var('crossover_same_time_days') }} then 'juvenile_justice_first'
        else 'same_time'
    end as pathway,
    crossover.first_child_welfare_date,
    crossover.first_juvenile_justice_date,
    abs(days_child_welfare_to_juvenile_justice) / 365.25 as years_to_crossover,
    year(least(crossover.first_child_welfare_date, crossover.first_juvenile_justice_date))
        - demographics.birth_year as approximate_age_at_first_entry,
    demographics.sex,
    demographics.race_ethnicity,
    demographics.town,
    crossover.substantiated_allegations,
    crossover.placements,
    crossover.congregate_care_placements,
    crossover.juvenile_cases,
    crossover.delinquency_cases,
    crossover.detained_cases,
    crossover.detained_cases > 0 as ever_detained
from crossover
left join {{ ref('int_person_demographics') }} as demographics on demographics.p20_id = crossover.p20_id
