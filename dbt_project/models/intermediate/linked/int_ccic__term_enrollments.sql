-- stg_ccic__term_enrollments with each row's p20_id and SPD 15 race/ethnicity.
{{ linked_records('CCIC', 'stg_ccic__term_enrollments', ['IPEDSRaceEthnicity']) }}
