{#-
    Relative change and verdicts of intervention effects (docs/interventions.md).
-#}

{% macro normal_z_95() -%}
    {#- Two-sided 95% standard normal quantile (DuckDB has no quantile function). -#}
    1.959964
{%- endmacro %}

{% macro relative_change(change, baseline) -%}
    {#- change / |baseline|: the sign stays the sign of the change when the baseline is
        negative; null when the baseline is 0 or null (no relative scale exists). -#}
    case when ({{ baseline }}) <> 0 then ({{ change }}) / abs({{ baseline }}) end
{%- endmacro %}

{% macro effect_verdict(direction, ci_lower, ci_upper, baseline) -%}
    {#- improved / worsened only when the 95% interval excludes 0 in the direction the
        metric calls better (closer_to_zero: towards 0 from the counterfactual
        `baseline`); null when there is no interval. -#}
    case
        when ({{ ci_lower }}) is null or ({{ ci_upper }}) is null then null
        when ({{ direction }}) = 'lower_is_better' and ({{ ci_upper }}) < 0 then 'improved'
        when ({{ direction }}) = 'lower_is_better' and ({{ ci_lower }}) > 0 then 'worsened'
        when ({{ direction }}) = 'higher_is_better' and ({{ ci_lower }}) > 0 then 'improved'
        when ({{ direction }}) = 'higher_is_better' and ({{ ci_upper }}) < 0 then 'worsened'
        when ({{ direction }}) = 'closer_to_zero' and ({{ ci_upper }}) < 0
            then case when ({{ baseline }}) > 0 then 'improved' else 'worsened' end
        when ({{ direction }}) = 'closer_to_zero' and ({{ ci_lower }}) > 0
            then case when ({{ baseline }}) < 0 then 'improved' else 'worsened' end
        else 'no_detectable_change'
    end
{%- endmacro %}

{% macro chi_square_1df_p_value(statistic) -%}
    {#- Upper tail of the chi-square distribution with 1 degree of freedom,
        erfc(sqrt(x / 2)), with the Abramowitz & Stegun 7.1.26 approximation of erfc
        (absolute error < 1.5e-7; DuckDB has no erf). -#}
    {%- set t = '(1.0 / (1.0 + 0.3275911 * sqrt((' ~ statistic ~ ') / 2.0)))' -%}
    (
        {{ t }} * (0.254829592 + {{ t }} * (-0.284496736 + {{ t }} * (
            1.421413741 + {{ t }} * (-1.453152027 + {{ t }} * 1.061405429)
        ))) * exp(-(({{ statistic }}) / 2.0))
    )
{%- endmacro %}
