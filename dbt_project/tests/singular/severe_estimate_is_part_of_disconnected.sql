-- Severely disconnected is a part of disconnected: the severe estimate and its bounds never exceed
-- the disconnected ones.
select report_year, dimension, dimension_value
from {{ ref('disconnected_youth_counts') }}
where disconnected_severe_estimate > disconnected_estimate
    or disconnected_severe_lower > disconnected_lower
    or disconnected_severe_upper > disconnected_upper
