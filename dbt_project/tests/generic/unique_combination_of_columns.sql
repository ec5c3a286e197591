{#- The grain of a model: no two rows share these columns' values.
    Written here rather than taken from dbt_utils (same name and arguments, so a switch is one
    `packages.yml` line and this file deleted): dbt packages come from hub.getdbt.com or GitHub,
    which the machines this platform builds on cannot reach, and no PyPI package ships dbt_utils. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    select {{ combination_of_columns | join(', ') }}, count(*) as rows_with_these_values
    from {{ model }}
    group by all
    having count(*) > 1
{% endtest %}
