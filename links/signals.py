"""What the links app tells the rest of leapdash, without knowing who listens."""

from django.dispatch import Signal

# Links were created in bulk (an import), which sends no post_save: ref_ids=[...].
links_created = Signal()

# refId aliases were deleted (in the admin): ref_ids=[...], the aliases' own refIds.
aliases_deleted = Signal()
