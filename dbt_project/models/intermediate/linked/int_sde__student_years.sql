-- stg_sde__student_years with each row's p20_id and SPD 15 race/ethnicity.
{{ linked_records('SDE', 'stg_sde__student_years', ['RaceEthnicity']) }}
