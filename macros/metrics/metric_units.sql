{% macro metric_units() -%}
    {#-
        The metric unit models int_metric_values unions (docs/metric_units.md). Each unit
        declares the registry metrics it emits in its YAML (config meta metric_names); a
        test fails when this list, the units and the registry disagree. The ai domain's
        units come from macro metric_units_ai() (macros/metrics/metric_units_ai.sql)
        where it exists.
    -#}
    {%- set units = [
        'metric__active_users',
        'metric__impressions',
        'metric__violating_view_rate',
        'metric__actioned_content_view_rate',
        'metric__minor_age_restricted_exposure_rate',
        'metric__reports_per_10k_active_users',
        'metric__report_action_rate',
        'metric__enforcement_actions',
        'metric__proactive_rate',
        'metric__automated_decision_rate',
        'metric__time_to_action_hours',
        'metric__appeal_rate',
        'metric__appeal_overturn_rate',
        'metric__appeal_resolution_hours_p50',
        'metric__first_contact_messages',
        'metric__unwanted_contact_rate',
        'metric__stranger_adult_to_minor_contacts_per_1k',
    ] -%}
    {%- if metric_units_ai is defined -%}
        {%- set units = units + metric_units_ai() -%}
    {%- endif -%}
    {{- return(units) -}}
{%- endmacro %}
