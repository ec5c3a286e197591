-- Status of every person aged 14-26 in every report year on the published continuum.
-- At-risk applies only to high school students; the disconnected statuses only to those not
-- enrolled in K-12. Everyone else in scope is connected. status_rests_on_unlinkable_wages marks
-- the disconnected whose status would be connected with a wage record the index could never link.
-- Youth never seen in a Connecticut public school (diploma_status 'unknown') are presumed in
-- school elsewhere up to their on-time graduation year and to hold a diploma after it (what
-- most such youth do); status_rests_on_unknown_diploma marks every row whose status that
-- presumption decides (for those out of school and not incarcerated: employed -> connected,
-- would be disconnected_moderate without a diploma; in postsecondary or training -> connected,
-- would be disconnected_severe; neither -> disconnected_moderate, would be disconnected_severe).
with person_years as (
    select
        *,
        has_diploma or (diploma_status = 'unknown' and not presumed_in_school_elsewhere) as diploma_presumed
    from {{ ref('int_person_years') }}
)

select
    person_years.p20_id,
    person_years.report_year,
    person_years.age,
    case
        when person_years.age <= 17 then '14-17'
        when person_years.age <= 21 then '18-21'
        else '22-26'
    end as age_band,
    demographics.sex,
    demographics.race_ethnicity,
    demographics.town,
    person_years.enrolled_k12,
    person_years.enrolled_hs,
    person_years.grade_level,
    person_years.cumulative_credits,
    person_years.credits_off_track,
    person_years.chronically_absent,
    person_years.behaviour_incident,
    person_years.has_diploma,
    person_years.diploma_status,
    person_years.presumed_in_school_elsewhere,
    person_years.employed,
    person_years.postsecondary,
    person_years.training,
    person_years.incarcerated,
    person_years.wage_linkable,
    not person_years.enrolled_k12
        and person_years.diploma_presumed
        and not person_years.employed
        and not person_years.postsecondary
        and not person_years.training
        and not person_years.incarcerated
        and not person_years.wage_linkable as status_rests_on_unlinkable_wages,
    person_years.diploma_status = 'unknown'
        and (person_years.presumed_in_school_elsewhere or not person_years.incarcerated)
        as status_rests_on_unknown_diploma,
    case
        when person_years.enrolled_hs then
            case
                when person_years.credits_off_track
                    and (person_years.chronically_absent or person_years.behaviour_incident) then 'at_risk_severe'
                when person_years.credits_off_track then 'at_risk_off_track'
                when person_years.chronically_absent or person_years.behaviour_incident then 'at_risk_other'
                else 'connected'
            end
        when person_years.enrolled_k12 or person_years.presumed_in_school_elsewhere then 'connected'
        when person_years.incarcerated
            or (not person_years.diploma_presumed and not person_years.employed) then 'disconnected_severe'
        when (not person_years.diploma_presumed and person_years.employed)
            or (person_years.diploma_presumed and not person_years.employed
                and not person_years.postsecondary and not person_years.training) then 'disconnected_moderate'
        else 'connected'
    end as status
from person_years
left join {{ ref('int_person_demographics') }} as demographics
    on demographics.p20_id = person_years.p20_id
