-- The interval macros against values computed by hand (Wilson score interval, z =
-- 1.959964, worked independently in Python): 20/100; 0/10 and 10/10 (the bounds stay
-- in [0, 1]); 1/2 of n = 1; the weighted sample w = (1, 1, 2, 4), y = (1, 0, 0, 1):
-- p = 5/8, Kish n = 8^2 / 22. An empty cell (n = 0) has no interval.
with

cases as (

    select hand_computed.*
    from (
        values
        ('p=0.2 n=100', 20.0, 100.0, null, 0.2, 100.0, 0.133366932897, 0.288829166364),
        ('p=0 n=10', 0.0, 10.0, null, 0.0, 10.0, 0.0, 0.277532803026),
        ('p=1 n=10', 10.0, 10.0, null, 1.0, 10.0, 0.722467196974, 1.0),
        ('p=0.5 n=1', 0.5, 1.0, null, 0.5, 1.0, 0.054620754803, 0.945379245197),
        ('weighted', 5.0, 8.0, 22.0, 0.625, 2.909090909091, 0.181801899924, 0.925933432731),
        ('empty', 0.0, 0.0, null, null, null, null, null)
    ) as hand_computed (
        case_name,
        numerator,
        denominator,
        sum_weight_squared,
        expected_p,
        expected_n,
        expected_lower,
        expected_upper
    )

),

computed as (

    select
        *,
        {{ weighted_proportion('numerator', 'denominator') }} as p,
        coalesce(
            {{ kish_effective_n('denominator', 'sum_weight_squared') }},
            case when denominator > 0 then denominator end
        ) as n
    from cases

),

intervals as (

    select
        *,
        {{ wilson_interval_lower('p', 'n') }} as ci_lower,
        {{ wilson_interval_upper('p', 'n') }} as ci_upper
    from computed

),

mismatches as (

    select *
    from intervals
    where
        (p is null) != (expected_p is null)
        or (ci_lower is null) != (expected_lower is null)
        or (ci_upper is null) != (expected_upper is null)
        or abs(p - expected_p) > 1e-9
        or abs(n - expected_n) > 1e-9
        or abs(ci_lower - expected_lower) > 1e-9
        or abs(ci_upper - expected_upper) > 1e-9

)

select * from mismatches
