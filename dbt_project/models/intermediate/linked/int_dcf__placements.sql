-- stg_dcf__placements with each row's p20_id and SPD 15 race/ethnicity.
{{ linked_records('DCF', 'stg_dcf__placements', ['RACE_ETHN_COMBO']) }}
