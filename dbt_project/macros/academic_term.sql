{#- College terms arrive as text like 2019FA: keep the term, and split out the calendar year
    it runs in (what "a term whose year is Y" means) and its season. -#}
{% macro term_columns(term) -%}
    {{ term }} as term,
    cast(left({{ term }}, 4) as integer) as term_year,
    right({{ term }}, 2) as term_season
{%- endmacro %}
