-- One row per person per calendar year with each non-school activity the disconnected-youth
-- definition asks about: UI wages above zero, a college term, workforce training or an
-- apprenticeship active in the year, a DOC custody spell overlapping the year.
with activities as (
    select p20_id, wage_year as activity_year, 'employed' as activity
    from {{ ref('int_dol__wages') }}
    where wages > 0

    union all
    {% for college in ['ccic', 'cscu', 'uconn'] %}
    select p20_id, term_year, 'postsecondary'
    from {{ ref('int_' ~ college ~ '__term_enrollments') }}
    union all
    {% endfor %}

    select p20_id, unnest({{ spell_years('program_start_date', 'program_exit_date') }}), 'training'
    from {{ ref('int_ows__training_enrollments') }}

    union all
    select p20_id, unnest({{ spell_years('enrolled_date', 'end_date') }}), 'training'
    from {{ ref('int_dol__apprenticeships') }}

    union all
    select p20_id, unnest({{ spell_years('admission_date', 'release_date') }}), 'incarcerated'
    from {{ ref('int_doc__admissions') }}
)

select
    p20_id,
    activity_year,
    bool_or(activity = 'employed') as employed,
    bool_or(activity = 'postsecondary') as postsecondary,
    bool_or(activity = 'training') as training,
    bool_or(activity = 'incarcerated') as incarcerated
from activities
where p20_id is not null
group by p20_id, activity_year
