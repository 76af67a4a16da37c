{{ config(materialized='view') }}

{{ base_platform_rows('content') }}
