-- stg_oec__enrollments with each row's p20_id and SPD 15 race/ethnicity.
{{ linked_records('OEC', 'stg_oec__enrollments',
                  ['IsHispanic', 'AmericanIndian', 'Asian', 'Black', 'Hawaiian', 'White']) }}
