{{ config(materialized='view') }}

{{ base_platform_rows('ai_interactions') }}
