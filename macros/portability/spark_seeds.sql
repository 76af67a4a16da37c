{#-
    Seeds on Spark (issue 16). dbt-spark loads a seed as parameterized `insert ... values`
    statements, which Spark's parser takes minutes over for the demo's 116k impressions.
    Here Spark's own CSV reader loads the file instead (header row, RFC 4180 quoting, every
    field read as text and cast to the seed's column type), so the table holds the values
    the DuckDB seed holds: an empty field is null on both engines.
-#}

{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set csv_path = model['root_path'] ~ '/' ~ model['original_file_path'] -%}
    {%- set view_name = 'tsw_seed_csv__' ~ model['name'] -%}
    {%- set create_view -%}
        create or replace temporary view {{ view_name }}
        using csv
        options (
            path '{{ csv_path }}',
            header 'true',
            inferSchema 'false',
            multiLine 'true',
            quote '"',
            escape '"',
            mode 'FAILFAST'
        )
    {%- endset -%}
    {%- do run_query(create_view) -%}
    {%- set sql -%}
        insert into {{ this.render() }}
        select
            {%- for col_name in agate_table.column_names %}
            {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) %}
            {%- set type = column_override.get(col_name, inferred_type) %}
            cast(`{{ col_name }}` as {{ type }}){{ "," if not loop.last }}
            {%- endfor %}
        from {{ view_name }}
    {%- endset -%}
    {%- do run_query(sql) -%}
    {{ return(sql) }}
{% endmacro %}
