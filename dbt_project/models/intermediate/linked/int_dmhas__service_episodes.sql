-- stg_dmhas__service_episodes with each row's p20_id and SPD 15 race/ethnicity.
{{ linked_records('DMHAS', 'stg_dmhas__service_episodes', ['Race1', 'Ethnicity']) }}
