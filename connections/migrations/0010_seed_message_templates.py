"""Seed every message template with today's texts (version 1): each message key at touches 1, 2
and 3, by email (subject and body) and by SMS (the body). The texts are copied here, not
imported, so later edits of the built-in catalogue do not change what this migration wrote."""

from django.db import migrations
from django.utils import timezone

RETRY = "Please open your link again and retry: {link}"
TEXTS = {
    "resend_link": (
        "Finish connecting your utility account",
        "Hi {customer}, you started connecting your utility account but did not log in yet. "
        "It takes about two minutes: {link}",
    ),
    "finish_connecting": (
        "Finish connecting your utility account",
        "Hi {customer}, you did not finish connecting your utility account. It only takes a "
        "couple of minutes to pick up where you left off: {link}",
    ),
    "reauthorize": (
        "Please renew your data sharing",
        "Hi {customer}, {utility} needs you to authorize data sharing again to keep your "
        "enrollment. It takes a minute: {link}",
    ),
    "connect_required_utility": (
        "One more utility to connect",
        "Hi {customer}, to finish your enrollment please also connect {utilities}. "
        "Use your link: {link}",
    ),
    "sign_agreement": (
        "One last step: your agreement",
        "Hi {customer}, your utility is connected. Please complete the {agreements} "
        "to finish: {link}",
    ),
    "agreement_declined": (
        "About the agreement you declined",
        "Hi {customer}, the {agreements} was declined, so we cannot enroll you yet. "
        "If that was a mistake, you can complete it here: {link}",
    ),
    "other_utility_connected": (
        "You connected a different utility",
        "Hi {customer}, you connected an account with a different utility than the one we "
        "asked for ({utilities}). If you also have an account there, connect it here: {link}",
    ),
    "error.generic": (
        "Something went wrong connecting {utility}",
        "Hi {customer}, connecting your {utility} account did not complete. " + RETRY,
    ),
    "error.USER_CANCELED": (
        "You left before finishing",
        "Hi {customer}, it looks like you stopped before your {utility} account was "
        "connected. It only takes a couple of minutes to finish: {link}",
    ),
    "error.BAD_LOGIN": (
        "Your {utility} login did not work",
        "Hi {customer}, the username or password for {utility} was not accepted. Check them "
        "on {utility}'s website (you can reset your password there), then retry: {link}",
    ),
    "error.ACCOUNT_LOCKED": (
        "Your {utility} account is locked",
        "Hi {customer}, {utility} has locked your online account. Unlock it on {utility}'s "
        "website or by calling them, then retry: {link}",
    ),
    "error.MFA_UNSUPPORTED": (
        "Two-factor login at {utility}",
        "Hi {customer}, your {utility} account uses a two-factor method we cannot complete. "
        "Switch it to text or email codes in your {utility} settings, then retry: {link}",
    ),
    "error.UTILITY_WEBSITE_DOWN": (
        "{utility}'s website was down",
        "Hi {customer}, {utility}'s website was unavailable when you tried. It is usually "
        "back within a few hours. " + RETRY,
    ),
    "error.UTILITY_ERROR": (
        "{utility} had a problem",
        "Hi {customer}, {utility} returned an error while connecting your account. "
        "This is on their side. " + RETRY,
    ),
    "error.UTILITY_RATE_LIMITED": (
        "{utility} asked us to wait",
        "Hi {customer}, {utility} limited the number of logins for a while. Please wait an "
        "hour, then retry: {link}",
    ),
    "error.NO_METERS_FOUND": (
        "No meters found at {utility}",
        "Hi {customer}, we could not find any electricity meters on the account you connected "
        "at {utility}. If you have another account (for example the account holder's), connect "
        "it here: {link}",
    ),
    "error.PARTIAL_METERS": (
        "Some meters are missing",
        "Hi {customer}, only some of your meters came through from {utility}. If another "
        "account holds the rest, connect it here: {link}",
    ),
    "error.AUTHORIZATION_REVOKED": (
        "Data sharing was turned off",
        "Hi {customer}, data sharing with {utility} was revoked. To stay enrolled, please "
        "authorize it again: {link}",
    ),
    "error.AUTHORIZATION_EXPIRED": (
        "Your authorization expired",
        "Hi {customer}, your {utility} data-sharing authorization has expired. Please renew "
        "it here: {link}",
    ),
    "error.UNKNOWN_ERROR": (
        "Something went wrong connecting {utility}",
        "Hi {customer}, connecting your {utility} account did not complete. " + RETRY,
    ),
}


def seed(apps, schema_editor):
    template_model = apps.get_model("connections", "MessageTemplate")
    version_model = apps.get_model("connections", "MessageTemplateVersion")
    now = timezone.now()
    for key, (subject, body) in TEXTS.items():
        for touch in (1, 2, 3):
            for channel in ("email", "sms"):
                text = subject if channel == "email" else ""
                row, created = template_model.objects.get_or_create(
                    key=key,
                    touch=touch,
                    channel=channel,
                    defaults={"subject": text, "body": body, "version": 1, "updated_at": now},
                )
                if created:
                    version_model.objects.create(
                        template=row,
                        version=1,
                        subject=text,
                        body=body,
                        saved_at=now,
                        note="Today's text",
                    )


class Migration(migrations.Migration):
    dependencies = [("connections", "0009_message_templates")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
