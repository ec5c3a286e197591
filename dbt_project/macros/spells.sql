{#- The calendar years a spell [start, end] touches, as a list for `unnest` (end null = still
    open; open spells run to the last report year). A spell overlaps year Y exactly when Y is
    in this list. -#}
{% macro spell_years(start_date, end_date) -%}
    range(
        year({{ start_date }}),
        least(year(coalesce({{ end_date }}, make_date({{ var('last_report_year') }}, 12, 31))),
              {{ var('last_report_year') }}) + 1
    )
{%- endmacro %}

{#- June 30 of a report year: the day ages, diplomas and school years are measured on. -#}
{% macro june_30(report_year) -%}
    make_date({{ report_year }}, 6, 30)
{%- endmacro %}
