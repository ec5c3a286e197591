-- stg_doc__admissions with each row's p20_id and SPD 15 race/ethnicity.
{{ linked_records('DOC', 'stg_doc__admissions', ['Race']) }}
