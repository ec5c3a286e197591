{#- The opening every agency's intermediate model shares: its staging model's rows with the
    person id the master person index gave their FakeID, and race/ethnicity mapped to SPD 15.
    A left join: a record the index did not place keeps its row with p20_id null (the
    intermediate `not_null` test warns), so nothing an agency delivered is silently lost.
    `race_columns` are the staging model's race/ethnicity codes (under their delivered names, as
    the race_crosswalk seed keys them): they become race_raw and race_ethnicity. None: the
    agency collects no race ('Not collected'). -#}
{% macro linked_records(agency_code, staging_model, race_columns=[]) %}
    select
        crosswalk.p20_id,
        {%- if race_columns %}
        staged.* exclude ({{ race_columns | join(', ') }}),
        {{ race_ethnicity_columns(agency_code, race_columns, 'staged') }}
        {%- else %}
        staged.*,
        cast(null as varchar) as race_raw,
        'Not collected' as race_ethnicity
        {%- endif %}
    from {{ ref(staging_model) }} as staged
    left join {{ source('mpi', 'crosswalk') }} as crosswalk
        on crosswalk.agency = '{{ agency_code }}'
        and crosswalk.FakeID = staged.fake_id
    {{ race_crosswalk_joins(agency_code, race_columns, 'staged') }}
{% endmacro %}
