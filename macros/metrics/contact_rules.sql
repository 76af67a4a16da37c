{#-
    The stranger-contact rule, written once: the two stranger metrics and the sender
    group each counts (first contacts from non-connections whose sender is an adult on
    the sent day, or of unknown age). The metric unit adds "to minors"; the intervention
    readouts apply the same rule to every recipient, so adults can be the comparison group.
-#}

{% macro stranger_contact_sender_groups() %}
    {{ return({
        'stranger_adult_to_minor_contacts_per_1k': 'adult',
        'stranger_adult_to_minor_contacts_per_1k_unknown_sender': 'unknown',
    }) }}
{% endmacro %}

{% macro is_stranger_contact(sender_age_group) -%}
    (not sender_is_connection and sender_age_group = '{{ sender_age_group }}')
{%- endmacro %}
