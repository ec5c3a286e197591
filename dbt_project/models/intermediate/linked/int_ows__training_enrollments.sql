-- stg_ows__training_enrollments with each row's p20_id and SPD 15 race/ethnicity.
{{ linked_records('OWS', 'stg_ows__training_enrollments', ['Ethnicity_Hispanic', 'Race']) }}
