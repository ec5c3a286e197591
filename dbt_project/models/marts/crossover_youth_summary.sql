-- Crossover youth by pathway: share of the group's crossover youth, mean and median years to
-- crossover, overall and by sex, race/ethnicity and out-of-home placement; with how many of
-- the group were child-welfare involved and the share of those who crossed over.
with child_welfare_youth as (
    select
        events.p20_id,
        bool_or(events.event_type = 'placement') as placed_out_of_home,
        demographics.sex,
        demographics.race_ethnicity
    from {{ ref('int_child_welfare_events') }} as events
    left join {{ ref('int_person_demographics') }} as demographics on demographics.p20_id = events.p20_id
    group by events.p20_id, demographics.sex, demographics.race_ethnicity
    having bool_or(events.counts_as_involvement)
),

youth as (
    select
        child_welfare_youth.*,
        cohort.pathway,
        cohort.years_to_crossover
    from child_welfare_youth
    left join {{ ref('crossover_youth_cohort') }} as cohort on cohort.p20_id = child_welfare_youth.p20_id
),

groups as (
    select 'all' as dimension, 'All child-welfare-involved youth' as dimension_value, * from youth
    union all
    select 'sex', coalesce(sex, 'Unknown'), * from youth
    union all
    select 'race_ethnicity', race_ethnicity, * from youth
    union all
    select 'placed_out_of_home', case when placed_out_of_home then 'Placed out of home' else 'Never placed' end, *
    from youth
),

group_sizes as (
    select
        dimension,
        dimension_value,
        count(*) as child_welfare_youth,
        count(pathway) as crossover_youth
    from groups
    group by dimension, dimension_value
),

by_pathway as (
    select
        dimension,
        dimension_value,
        coalesce(pathway, 'all') as pathway,
        count(*) as pathway_youth,
        avg(years_to_crossover) as mean_years_to_crossover,
        median(years_to_crossover) as median_years_to_crossover
    from groups
    where pathway is not null
    group by grouping sets ((dimension, dimension_value, pathway), (dimension, dimension_value))
)

select
    group_sizes.dimension,
    group_sizes.dimension_value,
    by_pathway.pathway,
    group_sizes.child_welfare_youth,
    group_sizes.crossover_youth,
    round(group_sizes.crossover_youth / group_sizes.child_welfare_youth, 4) as crossover_rate,
    by_pathway.pathway_youth,
    round(by_pathway.pathway_youth / group_sizes.crossover_youth, 4) as pathway_share,
    round(by_pathway.mean_years_to_crossover, 2) as mean_years_to_crossover,
    round(by_pathway.median_years_to_crossover, 2) as median_years_to_crossover
from by_pathway
inner join group_sizes
    on group_sizes.dimension = by_pathway.dimension and group_sizes.dimension_value = by_pathway.dimension_value
