{#- The opening every staging model shares: an agency's current analytical rows with p20_id
    attached and race/ethnicity mapped, ready for the model's own renaming and typing.
    `where` keeps one record type of a multi-type file (DOL, DCF). -#}
{% macro staged_records(agency_code, source_name, race_columns=[], where=none) %}
    select
        records.*,
        {%- if race_columns %}
        {{ race_ethnicity_columns(agency_code, race_columns) }}
        {%- else %}
        cast(null as varchar) as race_raw,
        'Not collected' as race_ethnicity
        {%- endif %}
    from ({{ attach_p20_id(agency_code, source(source_name, 'analytical')) }}) as records
    {{ race_crosswalk_joins(agency_code, race_columns) }}
    {%- if where %}
    where {{ where }}
    {%- endif %}
{% endmacro %}
