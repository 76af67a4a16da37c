-- time_to_action_hours_p50 and time_to_action_hours_p90: quantiles (quantile_cont) of
-- decided_at - flagged_at in hours over actions decided in the period.
{%- set quantiles = {'time_to_action_hours_p50': 0.5, 'time_to_action_hours_p90': 0.9} %}

-- noqa: disable=PRS
with

{% for metric_name, quantile in quantiles.items() %}
    {{ metric_name }} as (

        {{ metric_unit_from_facts(
            metric_name,
            'int_moderation_decisions_at_cutoff',
            date_column='decided_date',
            where='is_action',
            sample_size='count(hours_to_action)',
            value=quantile_cont('hours_to_action', quantile),
        ) }}

    ),

{% endfor %}
unit_rows as (

    {%- for metric_name in quantiles %}

        select * from {{ metric_name }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

)

select * from unit_rows
