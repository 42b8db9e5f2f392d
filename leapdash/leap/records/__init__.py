"""Leap JSON → frozen dataclasses: the only place that knows Leap's field names.

Everything here is pure: parse_* take a decoded JSON object and return a record or raise
RecordError (record id + field), so a caller can count a bad record and go on with the page.
Datetimes are aware UTC; unknown enum strings are kept as sent and listed in unknown_values;
unknown extra fields are ignored.
"""

from .base import RecordError, format_datetime, parse_datetime
from .connections import (
    AGREEMENT_STATUSES,
    CONNECTION_STATUSES,
    ERROR_CODES,
    REF_ID_MAX,
    TRANSMISSION_REGIONS,
    UTILITY_IDS,
    UTILITY_STATUSES,
    AgreementsRecord,
    ConnectionRecord,
    UtilityConnectionRecord,
    parse_connection,
    utility_id,
)
from .envelopes import connections_page, error_title, search_page
from .fast import Body, clean_connection, clean_meter, decode_body
from .meters import (
    ACTION_TYPES,
    CUSTOMER_CLASSIFICATIONS,
    ENROLLMENT_STATUSES,
    METER_TYPES,
    PARTNER_REFERENCE_FORBIDDEN,
    PARTNER_REFERENCE_MAX,
    PARTNER_REFERENCE_MIN,
    EnrollmentRecord,
    MeterRecord,
    ProgramEnrollmentRecord,
    RequiredActionRecord,
    is_valid_partner_reference,
    parse_enrollment,
    parse_meter,
)
from .updates import (
    WEBHOOK_EVENT_TYPES,
    BulkUpdateError,
    BulkUpdateResult,
    WebhookSubscription,
    WebhookTestResult,
    parse_bulk_update,
    parse_webhook,
    parse_webhook_id,
    parse_webhook_list,
    parse_webhook_test,
)

__all__ = [
    "ACTION_TYPES",
    "AGREEMENT_STATUSES",
    "CONNECTION_STATUSES",
    "CUSTOMER_CLASSIFICATIONS",
    "ENROLLMENT_STATUSES",
    "ERROR_CODES",
    "METER_TYPES",
    "PARTNER_REFERENCE_FORBIDDEN",
    "PARTNER_REFERENCE_MAX",
    "PARTNER_REFERENCE_MIN",
    "REF_ID_MAX",
    "TRANSMISSION_REGIONS",
    "UTILITY_IDS",
    "UTILITY_STATUSES",
    "WEBHOOK_EVENT_TYPES",
    "Body",
    "BulkUpdateError",
    "BulkUpdateResult",
    "AgreementsRecord",
    "ConnectionRecord",
    "EnrollmentRecord",
    "MeterRecord",
    "ProgramEnrollmentRecord",
    "RecordError",
    "RequiredActionRecord",
    "UtilityConnectionRecord",
    "WebhookSubscription",
    "WebhookTestResult",
    "clean_connection",
    "clean_meter",
    "connections_page",
    "decode_body",
    "error_title",
    "format_datetime",
    "is_valid_partner_reference",
    "parse_connection",
    "parse_datetime",
    "parse_enrollment",
    "parse_meter",
    "parse_bulk_update",
    "parse_webhook",
    "parse_webhook_id",
    "parse_webhook_list",
    "parse_webhook_test",
    "search_page",
    "utility_id",
]
