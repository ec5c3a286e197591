{#- Agencies code sex differently (M/F/U, Male/Female, 1/2/3): one M/F/null column for all. -#}
{% macro sex_from(column, male_value='M', female_value='F') -%}
    case cast({{ column }} as varchar)
        when '{{ male_value }}' then 'M'
        when '{{ female_value }}' then 'F'
    end
{%- endmacro %}
