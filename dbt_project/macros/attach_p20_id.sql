{#- Every staged agency row gets the person id the master person index gave its FakeID.
    A left join: a record the index did not place keeps its row with p20_id null (the
    staging `not_null` test warns), so nothing an agency delivered is silently lost. -#}
{% macro attach_p20_id(agency_code, relation) %}
    select crosswalk.p20_id, records.*
    from {{ relation }} as records
    left join {{ source('mpi', 'crosswalk') }} as crosswalk
        on crosswalk.agency = '{{ agency_code }}'
        and crosswalk.FakeID = records.FakeID
{% endmacro %}
