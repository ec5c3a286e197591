-- One row per person: sex, race/ethnicity, town and subgroup flags for breakdowns.
-- Precedence (the same for race and town): the most recent SDE record that says something,
-- else the most recent record of any other agency (by the record's own date). Sex comes from
-- the master person index, else the same precedence. Unknown when no record says anything.
-- Subgroup flags are "ever" flags over the person's SDE years.
with observations as (
    select p20_id, 1 as precedence, {{ june_30('report_year') }} as observed_on, race_ethnicity, town, sex
    from {{ ref('int_sde__student_years') }}
    union all
    select p20_id, 2, {{ june_30('report_year') }}, race_ethnicity, town, sex from {{ ref('int_ctecs__student_years') }}
    union all
    select p20_id, 2, admission_date, race_ethnicity, town, sex from {{ ref('int_doc__admissions') }}
    union all
    select p20_id, 2, report_received_date, race_ethnicity, town, null from {{ ref('int_dcf__allegations') }}
    union all
    select p20_id, 2, placement_start_date, race_ethnicity, town, null from {{ ref('int_dcf__placements') }}
    union all
    select p20_id, 2, eligibility_begin_date, race_ethnicity, town, null from {{ ref('int_dss__benefit_spells') }}
    union all
    select p20_id, 2, enrollment_start_date, race_ethnicity, town, null from {{ ref('int_oec__enrollments') }}
    union all
    select p20_id, 2, project_start_date, race_ethnicity, town, null from {{ ref('int_cceh__hmis_enrollments') }}
    union all
    select p20_id, 2, admission_date, race_ethnicity, null, null from {{ ref('int_dmhas__service_episodes') }}
    union all
    select p20_id, 2, program_start_date, race_ethnicity, null, null from {{ ref('int_ows__training_enrollments') }}
    union all
    select p20_id, 2, make_date(academic_year, 9, 1), race_ethnicity, null, sex from {{ ref('int_ohe__aid_awards') }}
    {% for college in ['ccic', 'cscu', 'uconn'] %}
    union all
    select p20_id, 2, make_date(term_year, 1, 1), race_ethnicity, null, sex
    from {{ ref('int_' ~ college ~ '__term_enrollments') }}
    {% endfor %}
    union all
    select p20_id, 2, make_date(wage_year, 3 * wage_quarter, 1), race_ethnicity, null, null from {{ ref('int_dol__wages') }}
),

known as (
    select
        p20_id,
        arg_min(race_ethnicity, (precedence, - epoch(observed_on)))
            filter (where race_ethnicity not in ('Unknown', 'Nonresident', 'Not collected')) as race_ethnicity,
        arg_min(town, (precedence, - epoch(observed_on))) filter (where town is not null) as town,
        arg_min(sex, (precedence, - epoch(observed_on))) filter (where sex is not null) as sex
    from observations
    where p20_id is not null
    group by p20_id
),

student_subgroups as (
    select
        p20_id,
        bool_or(is_english_learner) as ever_english_learner,
        bool_or(has_disability) as ever_disability,
        bool_or(is_free_reduced_lunch) as ever_free_reduced_lunch,
        bool_or(is_homeless) as ever_homeless_student
    from {{ ref('int_sde__student_years') }}
    where p20_id is not null
    group by p20_id
)

select
    persons.p20_id,
    persons.birth_year,
    coalesce(persons.sex, known.sex) as sex,
    coalesce(known.race_ethnicity, 'Unknown') as race_ethnicity,
    coalesce(known.town, 'Unknown') as town,
    coalesce(student_subgroups.ever_english_learner, false) as ever_english_learner,
    coalesce(student_subgroups.ever_disability, false) as ever_disability,
    coalesce(student_subgroups.ever_free_reduced_lunch, false) as ever_free_reduced_lunch,
    coalesce(student_subgroups.ever_homeless_student, false) as ever_homeless_student
from {{ ref('stg_mpi__persons') }} as persons
left join known on known.p20_id = persons.p20_id
left join student_subgroups on student_subgroups.p20_id = persons.p20_id
