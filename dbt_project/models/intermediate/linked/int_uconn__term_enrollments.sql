-- stg_uconn__term_enrollments with each row's p20_id and SPD 15 race/ethnicity.
{{ linked_records('UConn', 'stg_uconn__term_enrollments', ['IPEDS_Ethnicity']) }}
