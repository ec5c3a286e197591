-- stg_cssd__juvenile_cases with each row's p20_id; race_ethnicity 'Not collected' (CSSD collects no race).
{{ linked_records('CSSD', 'stg_cssd__juvenile_cases') }}
