-- stg_cscu__term_enrollments with each row's p20_id and SPD 15 race/ethnicity.
{{ linked_records('CSCU', 'stg_cscu__term_enrollments',
                  ['EthnicityHispanic', 'RaceAmerIndianAlaskan', 'RaceAsian', 'RaceBlack', 'RaceHawaiianPacific', 'RaceWhite']) }}
