-- stg_ohe__aid_awards with each row's p20_id and SPD 15 race/ethnicity.
{{ linked_records('OHE', 'stg_ohe__aid_awards', ['RaceEthnicity']) }}
