{#-
    Linear contrasts of ratio-of-sums cell values with a variance clustered by user
    (docs/interventions.md, "Variance").

    A cell c (a group x period, or an experiment arm) has the value r_c = Y_c / X_c with
    Y_c, X_c the sums over its users of their numerators y_uc and denominators x_uc. A
    contrast is theta = sum_c a_c r_c (difference-in-differences: +targeted post,
    -targeted pre, -comparison post, +comparison pre; an experiment: +treatment -control).
    Its delta-method (linearization) variance, clustered by user, is
        var(theta) = sum_u z_u^2,   z_u = sum_c a_c (y_uc - r_c x_uc) / X_c,
    the sandwich (HC0, no small-sample factor) variance of the saturated weighted
    regression of y/x on cell indicators with weights x and clusters u, so it matches
    statsmodels' cluster-robust OLS/WLS (tests/python/test_interventions_math.py). A
    user in several cells (pre and post, a period and its week) contributes to each, so
    the covariance between overlapping cells is included.

    Arguments are relation names or CTE names:
      user_cells    keys..., cell_id, user_id, numerator, denominator
      cell_totals   keys..., cell_id, numerator, denominator   (sums of user_cells)
      coefficients  keys..., contrast_id, cell_id, coefficient (the a_c, value scale included)
      keys          list of key column names shared by the three
-#}

{% macro ratio_contrast_estimates(cell_totals, coefficients, keys) -%}
    {#- theta per contrast; null when a cell it needs has no denominator (or is missing). -#}
    select
        {%- for key in keys %}
        {{ coefficients }}.{{ key }},
        {%- endfor %}
        {{ coefficients }}.contrast_id,
        case
            when bool_and(coalesce({{ cell_totals }}.denominator, 0) > 0)
                then sum({{ coefficients }}.coefficient * {{ cell_totals }}.numerator / {{ cell_totals }}.denominator)
        end as estimate,
        count(*) as cells
    from {{ coefficients }}
    left join {{ cell_totals }}
        on
            {%- for key in keys %}
            {{ coefficients }}.{{ key }} = {{ cell_totals }}.{{ key }} and
            {%- endfor %}
            {{ coefficients }}.cell_id = {{ cell_totals }}.cell_id
    group by
        {%- for key in keys %}
        {{ coefficients }}.{{ key }},
        {%- endfor %}
        {{ coefficients }}.contrast_id
{%- endmacro %}

{% macro ratio_contrast_influences(user_cells, cell_totals, coefficients, keys) -%}
    {#- z_u per contrast and user (sum of squares = the clustered variance). -#}
    select
        {%- for key in keys %}
        {{ coefficients }}.{{ key }},
        {%- endfor %}
        {{ coefficients }}.contrast_id,
        {{ user_cells }}.user_id,
        sum(
            {{ coefficients }}.coefficient
            * (
                {{ user_cells }}.numerator
                - {{ cell_totals }}.numerator / {{ cell_totals }}.denominator * {{ user_cells }}.denominator
            )
            / {{ cell_totals }}.denominator
        ) as influence
    from {{ coefficients }}
    inner join {{ cell_totals }}
        on
            {%- for key in keys %}
            {{ coefficients }}.{{ key }} = {{ cell_totals }}.{{ key }} and
            {%- endfor %}
            {{ coefficients }}.cell_id = {{ cell_totals }}.cell_id
            and {{ cell_totals }}.denominator > 0
    inner join {{ user_cells }}
        on
            {%- for key in keys %}
            {{ coefficients }}.{{ key }} = {{ user_cells }}.{{ key }} and
            {%- endfor %}
            {{ coefficients }}.cell_id = {{ user_cells }}.cell_id
    group by
        {%- for key in keys %}
        {{ coefficients }}.{{ key }},
        {%- endfor %}
        {{ coefficients }}.contrast_id,
        {{ user_cells }}.user_id
{%- endmacro %}
