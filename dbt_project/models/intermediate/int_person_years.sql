-- One row per person per report year (2015-2025) while aged 14-26 on June 30, with every fact
-- the disconnected-youth definition needs (the three at-risk facts only for high school
-- students, as the definition says). Age comes from the index's birth year and
-- born-by-June-30 flag, so no date of birth is needed here; wage_linkable says whether
-- `employed = false` could have been anything else. Youth never seen in a Connecticut public
-- school have diploma_status 'unknown' and, up to their on-time graduation year, are presumed
-- to be in school elsewhere (private, home or out-of-state school): no record can say.
with report_years as (
    select unnest(range({{ var('first_report_year') }}, {{ var('last_report_year') }} + 1)) as report_year
),

person_years as (
    select
        persons.p20_id,
        report_years.report_year,
        report_years.report_year - persons.birth_year - case when persons.born_by_june_30 then 0 else 1 end as age,
        -- On-time graduation under Connecticut's January 1 kindergarten cut-off: June of birth year + 18.
        report_years.report_year <= persons.birth_year + 18 as school_age,
        persons.wage_linkable
    from {{ ref('stg_mpi__persons') }} as persons
    cross join report_years
),

-- Everyone ever seen in a Connecticut public school (CTECS students are SDE students too), with
-- their graduation date if any. Youth never seen there have no record that could show a diploma.
diplomas as (
    select p20_id, min(graduation_date) as diploma_date
    from {{ ref('int_sde__student_years') }}
    where p20_id is not null
    group by p20_id
)

select
    person_years.p20_id,
    person_years.report_year,
    person_years.age,
    school.p20_id is not null as enrolled_k12,
    coalesce(school.grade_number between 9 and 12, false) as enrolled_hs,
    school.grade_level,
    school.cumulative_credits,
    school.membership_days,
    school.attendance_days,
    school.discipline_incidents,
    coalesce(school.grade_number between 9 and 12
             and school.cumulative_credits < 5 * (school.grade_number - 8), false) as credits_off_track,
    coalesce(school.grade_number between 9 and 12 and school.membership_days > 0
             and (school.membership_days - school.attendance_days) / school.membership_days >= 0.10,
             false) as chronically_absent,
    coalesce(school.grade_number between 9 and 12 and school.discipline_incidents >= 1, false) as behaviour_incident,
    coalesce(diplomas.diploma_date <= {{ june_30('person_years.report_year') }}, false) as has_diploma,
    case
        when diplomas.p20_id is null then 'unknown'
        when diplomas.diploma_date <= {{ june_30('person_years.report_year') }} then 'diploma'
        else 'no_diploma'
    end as diploma_status,
    diplomas.p20_id is null and person_years.school_age as presumed_in_school_elsewhere,
    coalesce(activity.employed, false) as employed,
    person_years.wage_linkable,
    coalesce(activity.postsecondary, false) as postsecondary,
    coalesce(activity.training, false) as training,
    coalesce(activity.incarcerated, false) as incarcerated
from person_years
left join {{ ref('int_school_years') }} as school
    on school.p20_id = person_years.p20_id and school.report_year = person_years.report_year
left join diplomas
    on diplomas.p20_id = person_years.p20_id
left join {{ ref('int_activity_years') }} as activity
    on activity.p20_id = person_years.p20_id and activity.activity_year = person_years.report_year
where person_years.age between {{ var('youth_min_age') }} and {{ var('youth_max_age') }}
