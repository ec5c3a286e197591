-- stg_dcf__allegations with each row's p20_id and SPD 15 race/ethnicity.
{{ linked_records('DCF', 'stg_dcf__allegations', ['RACE_ETHN_COMBO']) }}
