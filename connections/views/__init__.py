"""The connections app's screens, one module per screen."""
