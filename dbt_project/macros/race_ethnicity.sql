{#- An agency's raw race/ethnicity columns as its raw code and one SPD 15 category.

    Each raw column is looked up in the race_crosswalk seed (joins from race_crosswalk_joins).
    The categories found combine the way agencies report them under SPD 15: Hispanic or
    Latino if any column says so; Multiracial if two or more races, or a code that means it;
    the one race otherwise; Nonresident (IPEDS) or Unknown when nothing says which race.
    `race_raw` keeps the codes as delivered ("column=value;..."), so the mapping can be redone. -#}
{% macro race_ethnicity_columns(agency_code, race_columns, relation_alias='records') %}
    concat_ws(';',
        {%- for column in race_columns %}
        '{{ column }}=' || coalesce({{ raw_code(relation_alias ~ '.' ~ column) }}, '')
        {{- ',' if not loop.last }}
        {%- endfor %}
    ) as race_raw,
    list_distinct(list_filter([
        {%- for column in race_columns %}
        race_{{ loop.index }}.spd15_category{{ ',' if not loop.last }}
        {%- endfor %}
    ], lambda c: c <> '')) as race_categories,
    list_filter(race_categories, lambda c: c not in ('Unknown', 'Nonresident')) as informative_race_categories,
    case
        when list_contains(race_categories, 'Hispanic or Latino') then 'Hispanic or Latino'
        when len(informative_race_categories) > 1 or list_contains(race_categories, 'Multiracial') then 'Multiracial'
        when len(informative_race_categories) = 1 then informative_race_categories[1]
        when list_contains(race_categories, 'Nonresident') then 'Nonresident'
        else 'Unknown'
    end as race_ethnicity
{% endmacro %}

{#- The joins race_ethnicity_columns reads from: one seed lookup per raw column. -#}
{% macro race_crosswalk_joins(agency_code, race_columns, relation_alias='records') %}
    {%- for column in race_columns %}
    left join {{ ref('race_crosswalk') }} as race_{{ loop.index }}
        on race_{{ loop.index }}.agency = '{{ agency_code }}'
        and race_{{ loop.index }}."column" = '{{ column }}'
        and race_{{ loop.index }}.raw_value = {{ raw_code(relation_alias ~ '.' ~ column) }}
    {%- endfor %}
{% endmacro %}

{#- A raw code as the agency wrote it: flags are loaded as booleans, so turn them back into 1/0. -#}
{% macro raw_code(column) -%}
    case cast({{ column }} as varchar) when 'true' then '1' when 'false' then '0'
        else cast({{ column }} as varchar) end
{%- endmacro %}
