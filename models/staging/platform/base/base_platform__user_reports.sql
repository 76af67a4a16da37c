-- depends_on: {{ ref('ref_report_reason_codes') }}
{{ config(materialized='view') }}

{{ base_platform_rows('user_reports') }}
