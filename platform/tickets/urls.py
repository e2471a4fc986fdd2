from django.urls import path

from tickets import appointment_views, ticket_parts, views, worklist_views

app_name = "tickets"

urlpatterns = [
    path("", worklist_views.home, name="home"),
    path("tasks/", worklist_views.worklist_page, name="worklist"),
    path("tasks/rows/", worklist_views.worklist_rows, name="worklist_rows"),
    path("tasks/tabs/", worklist_views.worklist_tabs, name="worklist_tabs"),
    path("tasks/bulk/", worklist_views.bulk_action, name="bulk"),
    path("tasks/people/", worklist_views.people, name="people"),
    path("tasks/<int:task_id>/", views.task_page, name="task"),
    path("tasks/<int:task_id>/claim/", worklist_views.claim, name="claim"),
    path("tasks/<int:task_id>/op/<str:operation>/", views.task_operation, name="operation"),
    path("tickets/", worklist_views.ticket_list, name="list"),
    path("tickets/new/<str:process_key>/", views.new_ticket, name="new"),
    path("tickets/<str:ref>/", views.ticket_page, name="ticket"),
    path("tickets/<str:ref>/messages/", views.post_message, name="post_message"),
    path("tickets/<str:ref>/timeline/", ticket_parts.timeline_more, name="timeline"),
    path("tickets/<str:ref>/appointment/", appointment_views.book, name="appointment_book"),
    path(
        "tickets/<str:ref>/appointment/<int:booking_id>/cancel/",
        appointment_views.cancel,
        name="appointment_cancel",
    ),
    path(
        "tickets/<str:ref>/appointment/<int:booking_id>/check-<str:step>/",
        appointment_views.site_visit,
        name="appointment_visit",
    ),
    path("tickets/<str:ref>/diagram.bpmn", ticket_parts.diagram_bpmn, name="diagram"),
    path("tickets/<str:ref>/diagram/marks/", ticket_parts.diagram_marks, name="diagram_marks"),
    path("tasks/<int:task_id>/people/", ticket_parts.task_people, name="task_people"),
    path("people/search/", ticket_parts.people_search, name="people_search"),
    path("customers/search/", ticket_parts.customer_search, name="customer_search"),
    path("parts/search/", ticket_parts.part_search, name="part_search"),
    path("warehouses/search/", ticket_parts.warehouse_search, name="warehouse_search"),
    path(
        "tickets/<str:ref>/attachments/<int:attachment_id>/",
        views.attachment,
        name="attachment",
    ),
    path(
        "tickets/<str:ref>/customer-links/<int:proposal_id>/<str:decision>/",
        views.decide_customer_link,
        name="customer_link",
    ),
]
