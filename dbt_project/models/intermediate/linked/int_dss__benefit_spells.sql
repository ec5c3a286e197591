-- stg_dss__benefit_spells with each row's p20_id and SPD 15 race/ethnicity.
{{ linked_records('DSS', 'stg_dss__benefit_spells', ['Race', 'HispanicFlag']) }}
