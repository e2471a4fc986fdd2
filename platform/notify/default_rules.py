"""The notification rules a new installation starts with (seeded by migration 0003, and
re-applied by `load_demo`). Texts are Django templates; variables come from the tickets
app's resolver: ticket, title, task, actor, tracking_url, question, text, customer_name."""

PUBLIC_REPLY_CONDITIONS = {"author_kind": "staff", "visibility": "public", "info_request": None}

DEFAULT_RULES = [
    {
        "key": "assigned-to-you",
        "event_kind": "assigned",
        "recipients": ["assignee"],
        "channels": ["inapp", "email"],
        "description": "A step was assigned to you",
        "texts": {
            "zh-hans": (
                "[{{ ticket }}] 新的待办：{{ task }}",
                "工单 {{ ticket }}「{{ title }}」的步骤「{{ task }}」已分配给您。",
            ),
            "en": (
                "[{{ ticket }}] Assigned to you: {{ task }}",
                'The step "{{ task }}" of ticket {{ ticket }} ({{ title }}) is assigned to you.',
            ),
        },
    },
    {
        "key": "group-queue",
        "event_kind": "task_created",
        "recipients": ["group"],
        "channels": ["inapp"],
        "description": "A new item in your group's queue",
        "texts": {
            "zh-hans": (
                "[{{ ticket }}] 队列新工作：{{ task }}",
                "您所在组的队列有新步骤「{{ task }}」（工单 {{ ticket }}「{{ title }}」），请认领。",
            ),
            "en": (
                "[{{ ticket }}] New in your queue: {{ task }}",
                'A new step "{{ task }}" of ticket {{ ticket }} ({{ title }}) waits in your group\'s queue.',
            ),
        },
    },
    {
        "key": "mentioned",
        "event_kind": "message_posted",
        "recipients": ["mentioned"],
        "channels": ["inapp", "email"],
        "description": "You were mentioned in a reply or note",
        "texts": {
            "zh-hans": (
                "[{{ ticket }}] {{ actor }} 提到了您",
                "{{ actor }} 在工单 {{ ticket }} 中提到了您：\n\n{{ text }}",
            ),
            "en": (
                "[{{ ticket }}] {{ actor }} mentioned you",
                "{{ actor }} mentioned you on ticket {{ ticket }}:\n\n{{ text }}",
            ),
        },
    },
    {
        "key": "customer-replied",
        "event_kind": "message_posted",
        "conditions": {"author_kind": "customer"},
        "recipients": ["assignee", "group"],
        "channels": ["inapp", "email"],
        "description": "The customer replied",
        "texts": {
            "zh-hans": (
                "[{{ ticket }}] 客户回复了",
                "客户 {{ customer_name }} 回复了工单 {{ ticket }}：\n\n{{ text }}",
            ),
            "en": (
                "[{{ ticket }}] The customer replied",
                "{{ customer_name }} replied on ticket {{ ticket }}:\n\n{{ text }}",
            ),
        },
    },
    {
        "key": "public-reply",
        "event_kind": "message_posted",
        # Not the question of "request information": the waiting-for-you mail carries it.
        "conditions": PUBLIC_REPLY_CONDITIONS,
        "recipients": ["customer"],
        "channels": ["email"],
        "description": "An agent's public reply, mailed to the customer",
        "texts": {
            "zh-hans": (
                "[{{ ticket }}] {{ title }}",
                "{{ text }}\n\n直接回复此邮件即可继续沟通。查看进度：{{ tracking_url }}",
            ),
            "en": (
                "[{{ ticket }}] {{ title }}",
                "{{ text }}\n\nReply to this e-mail to answer. Follow the ticket: {{ tracking_url }}",
            ),
        },
    },
    {
        "key": "ticket-accepted",
        "event_kind": "created",
        "recipients": ["customer"],
        "channels": ["email"],
        "description": "Confirmation to the customer: the ticket was received",
        "texts": {
            "zh-hans": (
                "[{{ ticket }}] 我们已收到您的工单",
                "您好 {{ customer_name }}，\n\n您的工单 {{ ticket }}「{{ title }}」已受理。查看进度：{{ tracking_url }}\n直接回复此邮件即可补充信息。",
            ),
            "en": (
                "[{{ ticket }}] We received your request",
                "Hello {{ customer_name }},\n\nyour ticket {{ ticket }} ({{ title }}) was received. Follow it here: {{ tracking_url }}\nReply to this e-mail to add information.",
            ),
        },
    },
    {
        "key": "technician-scheduled",
        "event_kind": "task_completed",
        "bpmn_ids": ["schedule_visit"],
        "recipients": ["customer"],
        "channels": ["email"],
        "description": "The visit was scheduled",
        "texts": {
            "zh-hans": (
                "[{{ ticket }}] 已安排工程师上门",
                "您的工单 {{ ticket }} 已安排工程师上门。查看进度：{{ tracking_url }}",
            ),
            "en": (
                "[{{ ticket }}] A technician is scheduled",
                "A technician has been scheduled for your ticket {{ ticket }}. Follow it here: {{ tracking_url }}",
            ),
        },
    },
    {
        "key": "waiting-for-you",
        "event_kind": "info_requested",
        "recipients": ["customer"],
        "channels": ["email"],
        "description": "The agent needs information from the customer",
        "texts": {
            "zh-hans": (
                "[{{ ticket }}] 需要您补充信息",
                "关于工单 {{ ticket }}，我们需要您补充：\n\n{{ question }}\n\n请直接回复此邮件，或在此回复：{{ tracking_url }}",
            ),
            "en": (
                "[{{ ticket }}] We need more information",
                "About ticket {{ ticket }}, we need to know:\n\n{{ question }}\n\nReply to this e-mail or here: {{ tracking_url }}",
            ),
        },
    },
    {
        "key": "ticket-resolved",
        "event_kind": "completed",
        "recipients": ["customer"],
        "channels": ["email"],
        "description": "Resolved: the customer is asked to rate the service",
        "texts": {
            "zh-hans": (
                "[{{ ticket }}] 您的工单已解决",
                "您的工单 {{ ticket }}「{{ title }}」已解决。请为本次服务评分：{{ tracking_url }}",
            ),
            "en": (
                "[{{ ticket }}] Your ticket is resolved",
                "Your ticket {{ ticket }} ({{ title }}) is resolved. Please rate our service: {{ tracking_url }}",
            ),
        },
    },
    {
        "key": "ticket-reopened",
        "event_kind": "reopened",
        "recipients": ["assignee", "group"],
        "channels": ["inapp"],
        "description": "The customer reopened the ticket",
        "texts": {
            "zh-hans": (
                "[{{ ticket }}] 客户重新打开了工单",
                "客户重新打开了工单 {{ ticket }}「{{ title }}」。",
            ),
            "en": (
                "[{{ ticket }}] Reopened by the customer",
                "The customer reopened ticket {{ ticket }} ({{ title }}).",
            ),
        },
    },
]


def seed_rules(rule_model, template_model, *, overwrite: bool = False) -> int:
    """Create the default rules that do not exist yet (all of them with `overwrite`): the
    missing ones and their texts in two inserts."""
    keys = [spec["key"] for spec in DEFAULT_RULES]
    existing = {rule.key: rule for rule in rule_model.objects.filter(key__in=keys)}
    missing = [spec for spec in DEFAULT_RULES if spec["key"] not in existing]
    made = rule_model.objects.bulk_create(
        [rule_model(key=spec["key"], **_rule_fields(spec)) for spec in missing]
    )
    by_key = {rule.key: rule for rule in made}
    template_model.objects.bulk_create(
        [
            template_model(rule=by_key[spec["key"]], language=language, subject=subject, body=body)
            for spec in missing
            for language, (subject, body) in spec["texts"].items()
        ]
    )
    if overwrite:
        for spec in DEFAULT_RULES:
            rule = existing.get(spec["key"])
            if rule is None:
                continue
            for name, value in _rule_fields(spec).items():
                setattr(rule, name, value)
            rule.enabled = True
            rule.save()
            for language, (subject, body) in spec["texts"].items():
                template_model.objects.update_or_create(
                    rule=rule, language=language, defaults={"subject": subject, "body": body}
                )
    return len(missing)


def _rule_fields(spec: dict) -> dict:
    return {
        "event_kind": spec["event_kind"],
        "recipients": spec["recipients"],
        "channels": spec["channels"],
        "bpmn_ids": spec.get("bpmn_ids", []),
        "conditions": spec.get("conditions", {}),
        "description": spec["description"],
    }
