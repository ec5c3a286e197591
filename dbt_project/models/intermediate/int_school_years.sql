-- One row per student per report year from SDE: the school year ending June 30 of report_year
-- (FallOfYear = report_year - 1), with credits accumulated over every earlier SDE year.
-- SDE sends one row per student per school year; if the index puts two rows of one year on a
-- person (a duplicate record), the fuller one counts (most membership days, then credits),
-- so credits and days are never doubled.
with ranked as (
    select
        *,
        row_number() over (
            partition by p20_id, report_year
            order by membership_days desc nulls last, credits_earned desc nulls last, grade_number desc
        ) as rank_in_year
    from {{ ref('int_sde__student_years') }}
    where p20_id is not null
),

student_years as (
    select
        p20_id,
        report_year,
        grade_number,
        grade_level,
        membership_days,
        attendance_days,
        coalesce(credits_earned, 0) as credits_earned,
        coalesce(in_school_suspensions, 0) + coalesce(out_of_school_suspensions, 0) + coalesce(expulsions, 0)
            as discipline_incidents
    from ranked
    where rank_in_year = 1
)

select
    *,
    sum(credits_earned) over (
        partition by p20_id order by report_year rows between unbounded preceding and current row
    ) as cumulative_credits
from student_years
