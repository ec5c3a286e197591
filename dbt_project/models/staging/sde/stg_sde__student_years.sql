-- One row per student per school year (June collection), FallOfYear = the school year's first calendar year.
-- The town test's seed: a parent here, so Dagster's dbt step that builds this model runs that test.
-- depends_on: {{ ref('ct_towns') }}
select
    FakeID as fake_id,
    FallOfYear as fall_of_year,
    FallOfYear + 1 as report_year,
    ReportingDistrictCode as reporting_district_code,
    SchoolCode as school_code,
    GradeLevelCode as grade_level,
    case GradeLevelCode when 'PK' then -1 when 'K' then 0 else cast(GradeLevelCode as integer) end as grade_number,
    GradeLevelCode in ('09', '10', '11', '12') as is_high_school_grade,
    -- race/ethnicity codes under their delivered names: the race_crosswalk seed is keyed on them
    RaceEthnicity,
    Gender as gender_raw,
    {{ sex_from('Gender', 'Male', 'Female') }} as sex,
    nullif(trim(ResidentTown), '') as town,
    EnglishLearnerStatus as is_english_learner,
    DisabilityStatus as has_disability,
    FreeReducedLunchFlag as is_free_reduced_lunch,
    HomelessnessStatusFlag as is_homeless,
    AttendanceDays as attendance_days,
    MembershipDays as membership_days,
    CreditsEarned as credits_earned,
    ISSCount as in_school_suspensions,
    OSSCount as out_of_school_suspensions,
    EXPCount as expulsions,
    GraduationDate as graduation_date,
    delivery_sha256
from {{ source('sde', 'analytical') }}
