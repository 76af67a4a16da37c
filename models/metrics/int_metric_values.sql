{#-
    Every metric unit's rows (docs/metric_units.md), in the shared long shape at every
    grain: the units listed by macro metric_units(). Rows only where a unit has data; the
    grids zero-fill, and values / intervals of counts and rates are computed centrally.
-#}

with

unit_rows as (

    {%- for unit in metric_units() %}

        select
            metric_name,
            period_grain,
            period_start,
            {%- for column in segment_columns() %}
                {{ column }},
            {%- endfor %}
            numerator,
            denominator,
            sample_size,
            sum_weight_squared,
            value,
            ci_lower,
            ci_upper,
            '{{ unit }}' as metric_unit
        from {{ ref(unit) }}
        {%- if not loop.last %}

            union all
        {%- endif %}
    {%- endfor %}

)

select * from unit_rows
