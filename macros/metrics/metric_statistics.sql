{#-
    Statistics every metric row is computed with (metrics.md, "Parts, not only ratios").
    The interval is the 95% Wilson score interval: unlike the normal approximation it
    stays inside [0, 1] and behaves at p = 0 or 1 and at small n, which is where
    trust & safety rates live. n <= 0 (an empty cell) has no interval.
-#}

{% macro wilson_z() -%}
    {#- Two-sided 95% standard normal quantile. -#}
    1.959964
{%- endmacro %}

{% macro wilson_interval_lower(p, n) -%}
    {#- At p = 0 the bound is exactly 0; the formula would leave a rounding residue (~1e-17)
        that depends on the order the cell's weights were summed in. -#}
    case
        when ({{ n }}) > 0 and ({{ p }}) = 0 then 0.0
        when ({{ n }}) > 0 and ({{ p }}) is not null then greatest(
            0.0,
            (
                ({{ p }}) + {{ wilson_z() }} * {{ wilson_z() }} / (2.0 * ({{ n }}))
                - {{ wilson_z() }} * sqrt(greatest(
                    ({{ p }}) * (1.0 - ({{ p }}))
                    / ({{ n }})
                    + {{ wilson_z() }} * {{ wilson_z() }} / (4.0 * ({{ n }}) * ({{ n }})),
                    0.0
                ))
            ) / (1.0 + {{ wilson_z() }} * {{ wilson_z() }} / ({{ n }}))
        )
    end
{%- endmacro %}

{% macro wilson_interval_upper(p, n) -%}
    case
        when ({{ n }}) > 0 and ({{ p }}) is not null then least(
            1.0,
            (
                ({{ p }}) + {{ wilson_z() }} * {{ wilson_z() }} / (2.0 * ({{ n }}))
                + {{ wilson_z() }} * sqrt(greatest(
                    ({{ p }}) * (1.0 - ({{ p }}))
                    / ({{ n }})
                    + {{ wilson_z() }} * {{ wilson_z() }} / (4.0 * ({{ n }}) * ({{ n }})),
                    0.0
                ))
            ) / (1.0 + {{ wilson_z() }} * {{ wilson_z() }} / ({{ n }}))
        )
    end
{%- endmacro %}

{% macro kish_effective_n(sum_w, sum_w2) -%}
    {#- Kish's effective sample size of a weighted sample: (sum w)^2 / sum(w^2). -#}
    case
        when ({{ sum_w2 }}) > 0 then ({{ sum_w }}) * ({{ sum_w }}) / ({{ sum_w2 }})
    end
{%- endmacro %}

{% macro weighted_proportion(numerator, denominator) -%}
    {#- sum(w*y) / sum(w); an empty cell (denominator 0) has no rate, not a rate of 0. -#}
    case
        when ({{ denominator }}) > 0 then cast({{ numerator }} as double) / ({{ denominator }})
    end
{%- endmacro %}

{% macro wilson_effective_n(value, ci_lower, ci_upper, denominator, sample_size) -%}
    {#-
        The n a published Wilson interval was computed with, recovered from the interval:
        its centre c = (lower + upper) / 2 and the value p give n = z^2 (1/2 - c) / (c - p).
        metrics_daily publishes no effective n (Kish, for weighted proportions), and pooling
        cells needs it. Falls back to sample_size where the interval is centred on p.
    -#}
    {%- set centre = "((" ~ ci_lower ~ " + " ~ ci_upper ~ ") / 2)" -%}
    case
        when {{ denominator }} > 0 and abs({{ centre }} - {{ value }}) > 1e-15
            then {{ wilson_z() }} * {{ wilson_z() }} * (0.5 - {{ centre }}) / ({{ centre }} - {{ value }})
        else {{ sample_size }}
    end
{%- endmacro %}
