-- stg_dol__apprenticeships with each row's p20_id and SPD 15 race/ethnicity.
{{ linked_records('DOL', 'stg_dol__apprenticeships',
                  ['Ethnicity_Hispanic', 'Race_AmericanIndian', 'Race_Asian', 'Race_Black', 'Race_PacificIslander', 'Race_White']) }}
