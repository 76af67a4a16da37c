{#-
    The raw contract (models/staging/platform/_platform__sources.yml) as dbt's graph holds
    it. Staging is generated from it so that the YAML stays the one place the contract lives.
-#}

{% macro platform_contract(table_name) -%}
    {#- The platform source node of one raw table: columns (in contract order), meta (kind, key, event_time). -#}
    {%- if graph.sources is not defined -%}
        {#- dbt renders unit tests without the graph: they pass the contract as a macro override. -#}
        {{ exceptions.raise_compiler_error(
            "no graph to read the contract of '" ~ table_name ~ "' from; a unit test must override "
            ~ "platform_contract (overrides: macros: platform_contract: {meta: ..., columns: ...})") }}
    {%- endif -%}
    {%- set node_id = 'source.' ~ project_name ~ '.platform.' ~ table_name -%}
    {%- set node = graph.sources.get(node_id) -%}
    {%- if node is none -%}
        {{ exceptions.raise_compiler_error(
            "raw table '" ~ table_name ~ "' is not in the platform source (_platform__sources.yml)") }}
    {%- endif -%}
    {{- return(node) -}}
{%- endmacro %}

{% macro platform_tables() -%}
    {#-
        Names of every raw table of the contract. Spelled out because models that loop over
        the tables must declare their refs while dbt parses, before the sources are in the
        graph; at run time the list is checked against the contract so the two cannot drift.
    -#}
    {%- set names = [
        'users', 'user_profile_versions', 'content', 'impressions', 'prevalence_labels',
        'user_reports', 'moderation_decisions', 'appeals', 'messages', 'user_blocks',
        'ai_interactions', 'ai_eval_judgments', 'interventions', 'experiment_assignments',
    ] -%}
    {%- if execute -%}
        {%- set contract_names = [] -%}
        {%- for node in graph.sources.values() if node.source_name == 'platform' and node.package_name == project_name -%}
            {%- do contract_names.append(node.name) -%}
        {%- endfor -%}
        {%- if contract_names | sort != names | sort -%}
            {{ exceptions.raise_compiler_error(
                "macro platform_tables() lists " ~ names | sort ~ " but the platform source has "
                ~ contract_names | sort ~ ": update macros/staging/platform_contract.sql") }}
        {%- endif -%}
    {%- endif -%}
    {{- return(names) -}}
{%- endmacro %}

{% macro contract_column_names(table_name) -%}
    {{- return(platform_contract(table_name).columns.keys() | list) -}}
{%- endmacro %}

{% macro contract_enum_seeds() -%}
    {#-
        The reference seeds the contract's enum_ref checks read. Spelled out for the same
        reason as platform_tables: incremental models inline the base rows and must declare
        these refs while dbt parses. A contract enum_ref missing here is a compile error.
    -#}
    {{- return(['ref_policy_categories', 'ref_report_reason_codes']) -}}
{%- endmacro %}

{% macro contract_event_time_columns(table_name) -%}
    {#- The event-time columns of one raw table (meta.event_time); empty while dbt parses. -#}
    {%- set names = [] -%}
    {%- if execute -%}
        {%- for column in platform_contract(table_name).columns.values() if (column.meta or {}).get('event_time', false) -%}
            {%- do names.append(column.name) -%}
        {%- endfor -%}
    {%- endif -%}
    {{- return(names) -}}
{%- endmacro %}
