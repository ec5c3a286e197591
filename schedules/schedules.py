"""When the platform rebuilds on the calendar (new deliveries rebuild on their own: schedules/automation.py).

Monthly, 05:00 on the 1st: the marts catch up with anything a failed or skipped rebuild left
behind, and their quality checks run again.

Yearly, 06:00 on October 1: the statutory annual report. The statute asks for a report every
year; the marts measure each report year at June 30 (ages are completed years on June 30, the end
of Connecticut's fiscal year). The sources for a year ending June 30 are complete about three
months later: employers file the April-June wage quarter by July 31 and the Department of
Labor's wage records follow, and the school year's final enrolment, attendance and graduation
records are certified over the summer. October 1 is the first morning all of them can be in, and
leaves the rest of the calendar year for the review every contributing agency must make before
anything is published. The annual job rebuilds and checks the marts itself rather than trusting
the monthly run an hour earlier: only checks in the same run can stop the report. If the
statute's due date differs, change the cron here; the job (schedules/jobs.py) stays the same.
"""

from dagster import DefaultScheduleStatus, ScheduleDefinition

from schedules.jobs import annual_report_job, marts_refresh_job

TIMEZONE = "America/New_York"

marts_refresh_schedule = ScheduleDefinition(
    name="monthly_marts_refresh", job=marts_refresh_job, cron_schedule="0 5 1 * *", execution_timezone=TIMEZONE,
    default_status=DefaultScheduleStatus.RUNNING,
    description="05:00 on the 1st of each month: rebuild and check the marts and their published copy.")

annual_report_schedule = ScheduleDefinition(
    name="annual_report", job=annual_report_job, cron_schedule="0 6 1 10 *", execution_timezone=TIMEZONE,
    default_status=DefaultScheduleStatus.RUNNING,
    description="06:00 on October 1: the statutory report on the report year that ended June 30, "
                "after the sources for that year are complete.")
