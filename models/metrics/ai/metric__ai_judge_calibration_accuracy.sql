{{ config(materialized='table') }}

{#- Calibration outputs where the primary judge's verdict equals expected_verdict / calibration outputs. -#}
{{ ai_eval_set_unit('ai_judge_calibration_accuracy', 'calibration', 'judgments.verdict = judgments.expected_verdict') }}
