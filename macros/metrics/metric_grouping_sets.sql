{% macro metric_grouping_sets(columns) -%}
    {#-
        The groupings every metric is published for (metrics.md, "Grouping"): the total,
        each segment column alone, and age_band crossed with each other column.
        Usage: group by {{ metric_grouping_sets(['age_band', 'region', 'plan']) }}
    -#}
    {%- set sets = [[]] -%}
    {%- for column in columns -%}
        {%- do sets.append([column]) -%}
    {%- endfor -%}
    {%- if 'age_band' in columns -%}
        {%- for column in columns if column != 'age_band' -%}
            {%- do sets.append(['age_band', column]) -%}
        {%- endfor -%}
    {%- endif -%}
    grouping sets (
        {%- for grouping in sets %}
        ({{ grouping | join(', ') }}){{ "," if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{% macro segment_or_all(column) -%}
    {#- A grouped segment column: its value where grouped by, 'all' where rolled up. -#}
    case when grouping({{ column }}) = 1 then 'all' else {{ column }} end
{%- endmacro %}
