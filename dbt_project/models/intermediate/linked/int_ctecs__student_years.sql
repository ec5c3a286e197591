-- stg_ctecs__student_years with each row's p20_id and SPD 15 race/ethnicity.
{{ linked_records('CTECS', 'stg_ctecs__student_years', ['Ethnicity']) }}
