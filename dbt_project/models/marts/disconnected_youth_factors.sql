-- Factors associated with becoming disconnected: for each prior factor, how many youth had it,
-- the share of them later disconnected versus youth without it, and the relative risk.
-- Population: everyone aged 14-26 in at least one report year. Outcome: disconnected
-- (moderately or severely) in any report year. A factor counts only if it came first: before
-- June 30 of the first disconnected report year, or, for youth never disconnected, by June 30
-- of their last report year in scope (earlier at-risk: a report year before that one).
with statuses as (
    select * from {{ ref('disconnected_youth_person_year') }}
),

outcomes as (
    select
        p20_id,
        min(report_year) filter (where status like 'disconnected%') is not null as became_disconnected,
        coalesce(min(report_year) filter (where status like 'disconnected%'), max(report_year)) as reference_year
    from statuses
    group by p20_id
),

prior_events as (
    select p20_id, 'dcf_child_welfare' as factor, event_date from {{ ref('int_child_welfare_events') }}
    where counts_as_involvement
    union all
    select p20_id, 'cssd_juvenile_justice', event_date from {{ ref('int_juvenile_justice_events') }}
    union all
    select p20_id, 'dss_benefits', eligibility_begin_date from {{ ref('int_dss__benefit_spells') }}
    union all
    select p20_id, 'cceh_homelessness', project_start_date from {{ ref('int_cceh__hmis_enrollments') }}
    union all
    select p20_id, 'dmhas_behavioral_health', admission_date from {{ ref('int_dmhas__service_episodes') }}
),

exposures as (
    select distinct prior_events.p20_id, prior_events.factor
    from prior_events
    inner join outcomes on outcomes.p20_id = prior_events.p20_id
    where prior_events.event_date <= {{ june_30('outcomes.reference_year') }}

    union

    select statuses.p20_id, 'earlier_at_risk'
    from statuses
    inner join outcomes on outcomes.p20_id = statuses.p20_id
    where statuses.status like 'at_risk%'
        and (statuses.report_year < outcomes.reference_year or not outcomes.became_disconnected)
),

factors as (
    select * from (values
        ('earlier_at_risk', 'At risk in high school in an earlier report year'),
        ('dcf_child_welfare', 'DCF: substantiated allegation or out-of-home placement'),
        ('cssd_juvenile_justice', 'CSSD: juvenile court case'),
        ('dss_benefits', 'DSS: SNAP, TANF or Medicaid spell'),
        ('cceh_homelessness', 'CCEH: homelessness service enrolment'),
        ('dmhas_behavioral_health', 'DMHAS: mental health or substance use episode')
    ) as f(factor, factor_description)
),

tallies as (
    select
        factors.factor,
        factors.factor_description,
        count(*) filter (where exposures.p20_id is not null) as youth_with_factor,
        count(*) filter (where exposures.p20_id is not null and outcomes.became_disconnected) as disconnected_with_factor,
        count(*) filter (where exposures.p20_id is null) as youth_without_factor,
        count(*) filter (where exposures.p20_id is null and outcomes.became_disconnected) as disconnected_without_factor
    from factors
    cross join outcomes
    left join exposures on exposures.p20_id = outcomes.p20_id and exposures.factor = factors.factor
    group by factors.factor, factors.factor_description
)

select
    factor,
    factor_description,
    youth_with_factor,
    disconnected_with_factor,
    youth_without_factor,
    disconnected_without_factor,
    round(disconnected_with_factor / nullif(youth_with_factor, 0), 4) as disconnection_rate_with_factor,
    round(disconnected_without_factor / nullif(youth_without_factor, 0), 4) as disconnection_rate_without_factor,
    round((disconnected_with_factor / nullif(youth_with_factor, 0))
          / nullif(disconnected_without_factor / nullif(youth_without_factor, 0), 0), 3) as relative_risk,
    round(disconnected_with_factor / nullif(disconnected_with_factor + disconnected_without_factor, 0), 4)
        as share_of_disconnected_with_factor
from tallies
