{{ config(materialized='view') }}

{{ base_platform_rows('experiment_assignments') }}
