{#-
    Age on a metric day, for point-in-time segments (raw_contract.md, user_profile_versions).
    Completed years by comparing (month, day): DuckDB's date_diff('year', ...) counts
    calendar-year boundaries and would age everyone on 1 January. Someone born on
    29 February turns a year older on 1 March in non-leap years, because (3, 1) is the
    first (month, day) not before (2, 29).
    A birth date outside [1900-01-01, on_date] is unknown (not bad input), so the age
    is null and the band 'unknown'. The band thresholds are those of
    seeds/reference/ref_age_bands.csv (tests/python/test_segments_age.py checks it).
-#}

{% macro age_in_years(birth_date, on_date) -%}
    (
        case
            when
                cast({{ birth_date }} as date) >= date '1900-01-01'
                and cast({{ birth_date }} as date) <= cast({{ on_date }} as date)
                then
                    year(cast({{ on_date }} as date)) - year(cast({{ birth_date }} as date))
                    - case
                        when
                            month(cast({{ on_date }} as date)) * 100 + day(cast({{ on_date }} as date))
                            < month(cast({{ birth_date }} as date)) * 100 + day(cast({{ birth_date }} as date))
                            then 1
                        else 0
                    end
        end
    )
{%- endmacro %}

{% macro age_band(birth_date, on_date) -%}
    (
        case
            when {{ age_in_years(birth_date, on_date) }} is null then 'unknown'
            when {{ age_in_years(birth_date, on_date) }} <= 12 then 'under_13'
            when {{ age_in_years(birth_date, on_date) }} <= 15 then '13_15'
            when {{ age_in_years(birth_date, on_date) }} <= 17 then '16_17'
            when {{ age_in_years(birth_date, on_date) }} <= 24 then '18_24'
            when {{ age_in_years(birth_date, on_date) }} <= 34 then '25_34'
            else '35_plus'
        end
    )
{%- endmacro %}

{% macro is_minor_age_band(age_band_expr) -%}
    ({{ age_band_expr }} in ('under_13', '13_15', '16_17'))
{%- endmacro %}
