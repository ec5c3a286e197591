-- stg_cceh__hmis_enrollments with each row's p20_id and SPD 15 race/ethnicity.
{{ linked_records('CCEH', 'stg_cceh__hmis_enrollments', ['Race', 'Ethnicity']) }}
