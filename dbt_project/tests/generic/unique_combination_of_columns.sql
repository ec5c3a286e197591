{#- The grain of a model: no two rows share these columns' values. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    select {{ combination_of_columns | join(', ') }}, count(*) as rows_with_these_values
    from {{ model }}
    group by all
    having count(*) > 1
{% endtest %}
