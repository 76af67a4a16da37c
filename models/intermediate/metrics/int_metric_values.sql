{#- Every metric family, in the shared shape; adding a family is one entry here. -#}
{%- set families = ['exposure', 'enforcement', 'contact', 'ai'] %}
{#- Families whose coefficient rows carry their own interval (kappa). -#}
{%- set interval_families = ['ai'] %}

with

{% for family in families %}
    {{ family }} as (

        select * from {{ ref('int_metric_values__' ~ family) }}

    ),

{% endfor %}
family_rows as (

    {%- for family in families %}

        select
            metric_name,
            metric_date,
            age_band,
            region,
            plan,
            surface,
            policy_category,
            feature,
            cast(numerator as double) as numerator,
            cast(denominator as double) as denominator,
            cast(sample_size as bigint) as sample_size,
            cast(sum_weight_squared as double) as sum_weight_squared,
            cast(value as double) as value,
            cast({{ 'ci_lower' if family in interval_families else 'null' }} as double) as ci_lower,
            cast({{ 'ci_upper' if family in interval_families else 'null' }} as double) as ci_upper,
            '{{ family }}' as metric_family
        from {{ family }}
        {%- if not loop.last %}

            union all
        {%- endif %}
    {%- endfor %}

)

select * from family_rows
