{% macro metric_units_ai() -%}
    {#- The AI domain's metric unit models (docs/metric_units.md, "How int_metric_values finds the units"). -#}
    {{- return([
        'metric__ai_unsafe_output_rate',
        'metric__ai_attack_success_rate',
        'metric__ai_over_refusal_rate',
        'metric__ai_judge_human_kappa',
        'metric__ai_judge_calibration_accuracy',
    ]) -}}
{%- endmacro %}
