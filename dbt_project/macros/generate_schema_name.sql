{#- Models land in the schema their folder names (staging, intermediate, marts), not
    main_staging: analysts query `marts.disconnected_youth_counts`, and the feed loaders'
    raw_<agency> schemas sit beside them in the same warehouse. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name | trim if custom_schema_name is not none else target.schema }}
{%- endmacro %}
